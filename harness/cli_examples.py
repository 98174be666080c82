"""Examples shown at the end of every command's ``--help``: real command lines, one place.

tests/test_cli_examples.py parses each of them with the real parser (and runs the cheap ones),
so an example cannot name an option that no longer exists.
"""

from __future__ import annotations

import argparse

# command → ((command line, what it does), ...)
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "plugins": (
        ("nash plugins", "every installed proxy, space, strategy and data source, and the suites"),
        ("nash plugins --kind proxy --json", "the proxies as JSON (name, needs, version, ...)"),
    ),
    "run": (
        ("nash run --suite quick", "8 proxies on 100 random NB201 archs, CIFAR-10 (a few minutes)"),
        ("nash run --suite standard --proxies my_proxy", "the versioned leaderboard suite for one proxy"),
        (
            "nash run --space nb201 --dataset cifar100 --proxies synflow,naswot --n 200 --data images.npz",
            "a custom run from flags",
        ),
    ),
    "sweep": (
        (
            "nash sweep --suite quick --field input.batch_size --values 32,64,128",
            "one run per batch size, tabulated with mean and std",
        ),
        (
            "nash sweep --suite quick --field dataset --values cifar10,cifar100,ImageNet16-120",
            "the same proxies on each NB201 dataset",
        ),
    ),
    "few-shot": (
        (
            "nash few-shot --space nb201 --dataset cifar10 --proxies eproxy_dps --n 200 --k 10,20,50 --seeds 0,1,2",
            "fit the trainable proxy on k labels; ρ vs k beside ridge/GBM baselines",
        ),
    ),
    "search": (
        (
            "nash search --strategy random,regularized_evolution --proxies synflow --budget 100 --repeats 3",
            "searches guided by synflow; accuracy and rank of the chosen architecture",
        ),
        (
            "nash search --strategy regularized_evolution --objective oracle --budget 100",
            "the same search with ground truth as the score: the upper bound",
        ),
    ),
    "leaderboard": (
        ("nash leaderboard nash-results", "rank every results file in the folder"),
        (
            "nash leaderboard nash-results --with-reference",
            "your standard-suite rows among the published reference leaderboard",
        ),
        ("nash leaderboard nash-results --csv > leaderboard.csv", "the ranked rows as CSV"),
    ),
    "scores-corr": (
        ("nash scores-corr nash-results/correlation-RUN.json", "Spearman ρ between the run's proxies"),
    ),
    "cost": (("nash cost nash-results", "time per architecture, and for the whole space"),),
    "groups": (("nash groups nash-results", "architectures with equal scores, per proxy"),),
    "reproduce": (
        ("nash reproduce --list", "the paper tables, what each would compute and how long"),
        ("nash reproduce wrcor-t4 --n 100", "a quick look at a table: the first 100 archs per run"),
        ("nash reproduce sed-t2-tss --no-ceiling", "a full table without the noise-ceiling row"),
    ),
    "report": (
        ("nash report nash-results --out report.html", "one self-contained HTML page with plots"),
        ("nash report nash-results --figures figs --figure-format pdf", "also every plot as a PDF"),
    ),
    "schema": (("nash schema --out results.schema.json", "the JSON schema of results files"),),
    "new-proxy": (("nash new-proxy my_score", "a pip-installable package with a working proxy and tests"),),
    "validate": (
        ("nash validate synflow", "conformance checks of an installed proxy"),
        ("nash validate my_score --budget-s 5 --json", "with a tighter time budget, as JSON"),
    ),
    "submit": (
        ("nash submit my_score", "run the standard suite for my_score; prints its rank among the reference"),
        ("nash submit --verify submission-my_score-standard.json", "check someone's submission"),
    ),
    "check": (
        ("nash check --suite ci --baseline benchmarks/baselines/ci.json", "the CI gate"),
        (
            "nash check nash-results --baseline old/correlation-RUN.json --junit report.xml",
            "compare results files with a baseline, JUnit XML for CI",
        ),
    ),
}


def epilog(command: str) -> str:
    lines = ["examples:"]
    for line, what in EXAMPLES.get(command, ()):
        lines += [f"  {line}", f"      {what}"]
    return "\n".join(lines)


class ExamplesFormatter(argparse.HelpFormatter):
    """Wraps the description as usual, but prints the examples epilog line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:\n"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def attach(sub: argparse._SubParsersAction) -> None:
    """Give every command its examples epilog."""
    for name, parser in sub.choices.items():
        parser.epilog = epilog(name)
        parser.formatter_class = ExamplesFormatter
