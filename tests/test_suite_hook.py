"""Suites come from plugins (``nas_harness_suites``) and the core's defaults name no space.

A test distribution installed through a real entry point contributes a run preset and a paper
reproduction; it shows up in ``nash reproduce --list`` and runs like the NB201 plugin's. A hook
that raises, a record of the wrong type and a name contributed twice cost a warning naming the
plugin, never the run. With several spaces installed a run that names none is refused (exit 2,
listing them); with one installed it is the default, and the task is the space's own default.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from pathlib import Path

import pytest

from nas_harness.api import HarnessError
from nas_harness.config import validate_run_config
from nas_harness.host import PluginHost
from nas_harness.resolve import with_defaults
from nas_harness.search_config import validate_search_config
from nas_harness.search_runner import search_with_defaults
from nas_harness.suites import catalog

CONTRIBUTOR = """
from nas_harness.api import hookimpl
from nas_harness.api.suites import PaperTable, Reproduction, RunPlan, RunPreset

TABLE = PaperTable(key="toy-t1", paper="A. Author, A toy paper (test)", table="Table 1",
                   title="params vs accuracy on 6 NB201 cells", metric="|spearman|", columns=("c10",),
                   rows={"Params": (0.5,)})


def plan(options, proxies):
    sample = {"mode": "first_n", "n": 6}
    if options.n is not None:
        sample["take"] = options.n
    config = {"space": "nb201", "dataset": "cifar10", "proxies": list(proxies), "sample": sample,
              "bootstrap": options.bootstrap, "ceiling": "off", **options.execution()}
    return [RunPlan("c10", "first 6", config, ("toy note",))]


@hookimpl
def nas_harness_suites():
    return [RunPreset("toy-preset", {"space": "nb201", "dataset": "cifar10", "proxies": ["params"],
                                     "sample": {"mode": "first_n", "n": 6}}),
            Reproduction("toy-t1", "1", TABLE, "a toy table from a test plugin", {"Params": "params"}, plan),
            "not a record"]
"""

BROKEN = """
from nas_harness.api import hookimpl


@hookimpl
def nas_harness_suites():
    raise RuntimeError("suites unavailable")
"""

CLASH = """
from nas_harness.api import hookimpl
from nas_harness.api.suites import RunPreset


@hookimpl
def nas_harness_suites():
    return [RunPreset("quick", {"space": "nb201", "proxies": ["sed"]})]
"""


def make_dist(root: Path, dist: str, module: str, source: str) -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[nas_harness.suites]\n{module} = {module}\n")


@pytest.fixture
def suite_dists(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    make_dist(root, "toy-suites", "nash_test_toy_suites", CONTRIBUTOR)
    make_dist(root, "broken-suites", "nash_test_broken_suites", BROKEN)
    make_dist(root, "clash-suites", "nash_test_clash_suites", CLASH)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", str(root))
    importlib.invalidate_caches()
    yield root
    for mod in [m for m in sys.modules if m.startswith("nash_test_")]:
        del sys.modules[mod]


def test_a_plugins_suites_join_the_catalog_and_its_failures_are_warnings_naming_it(suite_dists):
    host = PluginHost.discover()
    suites = catalog(host)
    assert "toy-t1" in suites.reproductions and "toy-preset" in suites.presets
    assert suites.tables["toy-t1"].value("Params", "c10") == 0.5
    assert "toy-suites" in suites.origin[("reproduction", "toy-t1")]
    assert "wrcor-t2-code" in suites.reproductions  # the NB201 plugin's still count
    text = "\n".join(host.warnings)
    assert "broken-suites" in text and "RuntimeError: suites unavailable" in text
    assert "toy-suites" in text and "'str'" in text  # the record of the wrong type
    clash = next(w for w in host.warnings if "duplicate suite 'quick'" in w)
    assert "clash-suites" in clash and "nas_harness.spaces:nb201" in clash
    assert suites.presets["quick"].config["proxies"][0] == "params"  # the first contribution is kept


def test_a_contributed_reproduction_is_listed_and_runs_through_nash_reproduce(
    suite_dists, tmp_path, capsys, monkeypatch
):
    from nas_harness.cli import main

    monkeypatch.setenv("COLUMNS", "250")  # one table row per line

    store = tmp_path / "s.sqlite"
    assert main(["reproduce", "--list", "--store", str(store)]) == 0
    listed = capsys.readouterr()
    assert "toy-t1 v1" in listed.out and "wrcor-t2-code" in listed.out
    assert "broken-suites" in " ".join(
        listed.err.split()
    )  # the failing hook is reported, the listing printed

    assert (
        main(
            [
                "reproduce",
                "toy-t1",
                "--bootstrap",
                "0",
                "--executor",
                "inline",
                "--store",
                str(store),
                "--out",
                str(tmp_path / "out"),
                "--json",
                "--quiet",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    [row] = result["rows"]
    cell = row["cells"][0]
    assert row["row"] == "Params" and row["status"] == "ok" and cell["paper"] == 0.5
    assert cell["diff"] == pytest.approx(cell["ours"] - 0.5) and "toy note" in cell["notes"]

    assert main(["plugins", "--json"]) == 0
    listed = {(s["kind"], s["name"]): s for s in json.loads(capsys.readouterr().out)["suites"]}
    assert "toy-suites" in listed[("reproduction", "toy-t1")]["plugin"]
    assert listed[("versioned suite", "standard")]["id"].startswith("standard@")


def test_several_installed_spaces_and_none_named_is_an_error_listing_them():
    host = PluginHost.discover()
    assert len(host.names("space")) > 1
    with pytest.raises(HarnessError) as exc:
        with_defaults(validate_run_config({"proxies": ["params"]}), host)
    assert "--space" in str(exc.value) and all(name in str(exc.value) for name in host.names("space"))
    with pytest.raises(HarnessError):
        search_with_defaults(validate_search_config({"strategies": ["random"], "proxies": ["params"]}), host)


def test_a_named_space_gets_its_own_default_task():
    host = PluginHost.discover()
    cfg = with_defaults(validate_run_config({"proxies": ["params"], "space": "tnb101_micro"}), host)
    space = host.get("space", "tnb101_micro").cls()
    assert cfg.space.name == "tnb101_micro" and cfg.dataset == space.default_task()
    kept = with_defaults(
        validate_run_config({"proxies": ["params"], "space": "nb201", "dataset": "cifar100"}), host
    )
    assert kept.dataset == "cifar100"


def test_the_only_installed_space_is_the_default():
    everything = PluginHost.discover()
    others = [n for n in everything.names("space") if n != "nb201"]
    host = PluginHost.discover(disabled=[*others, "tnb101"])  # entry-point names; tnb101 holds two spaces
    assert host.names("space") == ["nb201"]
    cfg = with_defaults(validate_run_config({"proxies": ["params"]}), host)
    assert cfg.space.name == "nb201" and cfg.dataset == host.get("space", "nb201").cls().default_task()
    search = search_with_defaults(
        validate_search_config({"strategies": ["random"], "proxies": ["params"]}), host
    )
    assert search.space.name == "nb201" and search.datasets == [cfg.dataset]


def test_nash_run_without_a_space_exits_2_naming_the_installed_ones(tmp_path, capsys):
    from nas_harness.cli import main

    code = main(
        [
            "run",
            "--proxies",
            "params",
            "--n",
            "3",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "--space" in err and "nb201" in err and "nb101" in err
