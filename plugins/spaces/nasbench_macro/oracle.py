"""``table``: NAS-Bench-Macro's CIFAR-10 accuracies (the shared CSV of the benchmark's JSON).

Each architecture's value is the mean of the benchmark's 3 trainings (``mean_acc``), each run
is a column (``test_acc_run1..3``) for the noise ceiling. The benchmark trained every network
50 epochs and kept the best CIFAR-10 *test* accuracy over the epochs (its ``train.py``), and
trained only canonical archs, copying their record to the equivalent ones: correlations should
count distinct networks (``MacroSpace.sample`` draws canonical archs only).
"""

from __future__ import annotations

from pydantic import Field

from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

RUNS = ("test_acc_run1", "test_acc_run2", "test_acc_run3")


class MacroTableConfig(TableConfig):
    path: str = Field("data/nb_macro/nas_bench_macro_cifar10.csv", description="the NAS-Bench-Macro CSV")
    arch_column: str = "arch"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="mean_acc",
                metric="accuracy (best test accuracy over 50 epochs)",
                unit="%",
                split="test",
                epochs=50,
                runs=RUNS,
                aggregation="mean(3 runs)",
            )
        }
    )


class MacroTableOracle(TableOracle):
    name = "table"
    Config = MacroTableConfig
    summary = (
        "NAS-Bench-Macro CIFAR-10: best test accuracy over 50 epochs, mean of 3 runs (runs for the ceiling)"
    )

    def coverage(self, task: str) -> list[str]:
        """Each distinct network once (its canonical arch), so that samples drawn from the coverage
        count a network once; ``query`` still answers every one of the 6,561 archs."""
        from .arch import canonical_code, parse_code

        return [a for a in super().coverage(task) if canonical_code(parse_code(a)) == parse_code(a)]
