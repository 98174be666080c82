"""Every command's options mean one thing: a flag several commands take is defined once
(harness/cli_options.py) and so has the same spelling, default, type, choices and help text on each;
a flag that names two concepts is one of the few listed homonyms; old spellings still work, warn,
and are named in the new option's help."""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

import pytest

from nas_harness.cli import build_parser
from nas_harness.cli_options import HOMONYMS, OPTIONS, DeprecatedAlias


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options() -> dict[str, dict[str, argparse.Action]]:
    """option string → {command: action}."""
    out: dict[str, dict[str, argparse.Action]] = defaultdict(dict)
    for command, parser in _commands().items():
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    out[flag][command] = action
    return out


def _shape(action: argparse.Action) -> tuple:
    return (
        action.dest,
        action.default if not isinstance(action.default, list) else tuple(action.default),
        getattr(action.type, "__name__", action.type),
        tuple(action.choices or ()),
        action.nargs,
        action.const,
        action.metavar,
        re.sub(r" \([^()]*: the old spelling, deprecated\)$", "", action.help or ""),  # where an alias exists
    )


def test_a_flag_several_commands_take_is_defined_once_in_the_shared_options():
    ad_hoc = {
        flag: sorted(c for c, a in by_command.items() if not hasattr(a, "concept"))
        for flag, by_command in _options().items()
        if len(by_command) > 1 and any(not hasattr(a, "concept") for a in by_command.values())
    }
    assert ad_hoc == {}, "define these in harness/cli_options.py and add them with add(parser, ...)"


def test_a_shared_flag_has_one_meaning_default_and_help_on_every_command():
    differing = {}
    for flag, by_command in _options().items():
        concepts = {getattr(a, "concept", None) for a in by_command.values()}
        if len(concepts) > 1:
            assert flag in HOMONYMS and concepts <= set(HOMONYMS[flag]), (flag, concepts)
            continue
        shapes = {command: _shape(a) for command, a in by_command.items()}
        if len(set(shapes.values())) > 1:
            differing[flag] = shapes
    assert differing == {}


def test_the_listed_homonyms_are_real_and_share_type_and_default():
    options = _options()
    for flag, concepts in HOMONYMS.items():
        actions = options[flag].values()
        assert {a.concept for a in actions} == set(concepts), flag  # each homonym is in use
        assert len({(a.default, a.type) for a in actions}) == 1, flag


def test_every_deprecated_spelling_is_named_in_the_help_of_the_option_that_replaced_it():
    for command, parser in _commands().items():
        for action in parser._actions:
            if isinstance(action, DeprecatedAlias):
                assert action.option_strings[0] in action.target.help, (command, action.option_strings)
                usage = parser.format_usage()
                assert not re.search(re.escape(action.option_strings[0]) + r"[ \]]", usage)  # hidden


@pytest.mark.parametrize(
    "old, new",
    [
        (["run", "--seed", "7"], ["run", "--init-seed", "7"]),
        (["search", "--seed", "3"], ["search", "--search-seed", "3"]),
        (["search", "--proxy", "synflow"], ["search", "--proxies", "synflow"]),
        (["run", "--no-ceiling"], ["run", "--ceiling", "off"]),
        (["reproduce", "wrcor-t4", "--no-ceiling"], ["reproduce", "wrcor-t4", "--ceiling", "off"]),
    ],
)
def test_an_old_spelling_parses_as_the_new_one_with_a_warning_when_deprecated(old, new, capsys):
    parser = build_parser()
    assert vars(parser.parse_args(old)) == vars(parser.parse_args(new))
    warned = capsys.readouterr().err
    deprecated = {o for opt in OPTIONS.values() for o in opt.deprecated}
    assert (old[1] in deprecated) == (f"warning: {old[1]} is deprecated" in warned)


def test_commands_that_compute_scores_take_the_same_executor_options():
    options = _options()
    for command in ("run", "sweep", "few-shot", "reproduce", "submit", "check"):
        for flag in ("--executor", "--workers", "--threads", "--device", "--memory-limit", "--time-limit"):
            assert command in options[flag], (command, flag)


def test_every_option_and_argument_of_every_command_has_help_text():
    silent = [
        (command, a.option_strings or a.dest)
        for command, parser in _commands().items()
        for a in parser._actions
        if not a.help and a.dest != "help"
    ]
    assert silent == []
