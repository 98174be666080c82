"""The examples at the end of every command's --help are real: each parses with the real parser
(so no example names a removed option), every command has one, and the cheap ones run."""

from __future__ import annotations

import argparse
import json
import shlex

import pytest

from nas_harness.cli import build_parser, main
from nas_harness.cli_examples import EXAMPLES


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_shows_one_to_three_examples_in_its_help():
    for command, parser in _commands().items():
        shown = EXAMPLES.get(command, ())
        assert 1 <= len(shown) <= 3, command
        text = parser.format_help()
        for line, _ in shown:
            assert f"  {line}\n" in text, (command, line)  # printed whole, not re-wrapped


@pytest.mark.parametrize(
    "command, line", [(c, line) for c, examples in EXAMPLES.items() for line, _ in examples]
)
def test_every_example_parses_as_the_command_it_documents(command, line):
    words = shlex.split(line.split(" > ")[0])
    assert words[0] == "nash" and words[1] == command
    args = build_parser().parse_args(words[1:])
    assert args.command == command


def test_the_cheap_examples_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split("schema --out results.schema.json")) == 0
    assert json.loads((tmp_path / "results.schema.json").read_text())["title"]
    assert main(shlex.split("plugins --kind proxy --json")) == 0
    assert "synflow" in {p["name"] for p in json.loads(capsys.readouterr().out)["plugins"]}
