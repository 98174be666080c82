"""Bad input is exit 2 with a message naming the file (and line) and what to do, never a
traceback: typos inside a plugin's config in YAML, YAML syntax, a store with damaged pages,
output paths under a regular file or /dev/null, a full disk while writing a report."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

import nas_harness.files
from nas_harness.cli import main
from nas_harness.store import ScoreKey, ScoreRecord, ScoreStore

QUICK = [
    "--space",
    "nb201",
    "--proxies",
    "sed",
    "--n",
    "4",
    "--executor",
    "inline",
    "--bootstrap",
    "0",
    "--quiet",
]


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, " ".join(err.split())


def test_a_typo_inside_a_proxy_config_in_yaml_names_file_line_and_allowed_keys(tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        "proxies:\n  - name: sed\n  - name: synflow\n    config:\n      bogus_key: 3\nsample:\n  n: 4\nspace: nb201\n"
    )
    code, err = run_cli(
        capsys, "run", str(cfg), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert (
        f"{cfg}:5" in err.replace(" ", "") and "proxies[1].config.bogus_key" in err and "unknown key" in err
    )
    assert "allowed:" in err


def test_a_yaml_syntax_error_names_the_file_and_line_not_a_unicode_string(tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("sample:\n  n: 4\nproxies: [sed\nseed: 1\n")
    code, err = run_cli(capsys, "run", str(cfg), "--store", str(tmp_path / "s.sqlite"))
    assert code == 2
    assert "<unicode string>" not in err and f"{cfg}:4" in err.replace(" ", "")


def damaged_store(path: Path) -> Path:
    """A store with enough rows to span many pages, every page after the first overwritten."""
    with ScoreStore(path) as store:
        key = ScoreKey("p", "1", "h", "nb201@1", "cifar10", "none", "none", 0)
        store.put_many(
            key,
            [ScoreRecord(f"arch-{i:05d}-" + "x" * 80, float(i), "ok", None, 0.1, 0.1) for i in range(3000)],
        )
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    assert len(data) > 10 * page
    for start in range(page, len(data), page):
        data[start + 8 : start + page - 8] = bytes([0xA5]) * (page - 16)
    path.write_bytes(bytes(data))
    return path


def test_a_store_with_damaged_pages_exits_2_naming_it_and_how_to_recover(tmp_path, capsys):
    store = damaged_store(tmp_path / "s.sqlite")
    code, err = run_cli(capsys, "run", *QUICK, "--store", str(store), "--out", str(tmp_path / "o"))
    assert code == 2
    assert str(store) in err.replace(" ", "") and "damaged" in err and "another --store" in err


def test_the_store_wraps_damage_found_on_a_later_read_too(tmp_path):
    from nas_harness.api import HarnessError

    store = damaged_store(tmp_path / "s.sqlite")
    with pytest.raises(HarnessError, match="damaged"):
        with ScoreStore(store) as s:
            s.get_many(ScoreKey("p", "1", "h", "nb201@1", "cifar10", "none", "none", 0), ["arch-00001"])
            s.count()


@pytest.mark.parametrize("flag", ["--out", "--store"])
@pytest.mark.parametrize("under", ["a regular file", "/dev/null"])
def test_output_paths_under_a_file_or_dev_null_exit_2(flag, under, tmp_path, capsys):
    parent = tmp_path / "afile" if under == "a regular file" else Path("/dev/null")
    if under == "a regular file":
        parent.write_text("not a folder")
    paths = {"--out": str(tmp_path / "o"), "--store": str(tmp_path / "s.sqlite")}
    paths[flag] = str(parent / "sub" / ("x.sqlite" if flag == "--store" else "out"))
    code, err = run_cli(capsys, "run", *QUICK, "--out", paths["--out"], "--store", paths["--store"])
    assert code == 2
    assert str(parent) in err.replace(" ", "") and "not a folder" in err


def test_a_full_disk_while_writing_a_report_exits_2_and_keeps_the_old_report(tmp_path, capsys, monkeypatch):
    out = tmp_path / "results"
    assert main(["run", *QUICK, "--store", str(tmp_path / "s.sqlite"), "--out", str(out)]) == 0
    report = tmp_path / "report.html"
    assert main(["report", str(out), "--out", str(report)]) == 0
    before = report.read_bytes()
    capsys.readouterr()

    real_open = open

    class FullDisk:
        """A file whose writes stop with ENOSPC after the first 100 bytes."""

        def __init__(self, *args, **kwargs):
            self.fh = real_open(*args, **kwargs)

        def write(self, text):
            self.fh.write(text[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(nas_harness.files, "open", FullDisk, raising=False)
    code, err = run_cli(capsys, "report", str(out), "--out", str(report))
    assert code == 2
    assert str(report) in err.replace(" ", "") and "No space left" in err and "free some space" in err
    assert report.read_bytes() == before  # not truncated
    assert not list(tmp_path.glob(".report.html.*"))  # no temporary file left behind
