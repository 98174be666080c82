"""``table``: Channel-Bench-Macro's CIFAR-10 accuracies for the space's backbone.

The file is chosen by the space's ``Config.backbone`` unless ``path`` is given. Each value is the
mean of the benchmark's 3 trainings (``mean_acc``); the runs (``test_acc_run1..3``) feed the noise
ceiling. The benchmark trained each network 60 epochs and kept the best CIFAR-10 *test* accuracy
over the epochs (its ``train.py``).
"""

from __future__ import annotations

from pydantic import Field

from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

RUNS = ("test_acc_run1", "test_acc_run2", "test_acc_run3")


class ChannelTableConfig(TableConfig):
    path: str | None = Field(
        None, description="default: data/nb_macro/channel_bench_macro_<backbone>_cifar10.csv"
    )
    arch_column: str = "arch"
    metrics: dict[str, TableMetric] = Field(
        default_factory=lambda: {
            "cifar10": TableMetric(
                column="mean_acc",
                metric="accuracy (best test accuracy over 60 epochs)",
                unit="%",
                split="test",
                epochs=60,
                runs=RUNS,
                aggregation="mean(3 runs)",
            )
        }
    )


class ChannelTableOracle(TableOracle):
    name = "table"
    Config = ChannelTableConfig
    summary = "Channel-Bench-Macro CIFAR-10 for the space's backbone: best test accuracy over 60 epochs, mean of 3 runs"

    def __init__(self, config=None, *, space=None):
        config = config if config is not None else self.Config()
        if config.path is None:
            backbone = getattr(getattr(space, "config", None), "backbone", "resnet")
            config = config.model_copy(
                update={"path": f"data/nb_macro/channel_bench_macro_{backbone}_cifar10.csv"}
            )
        super().__init__(config, space=space)
