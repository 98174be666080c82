"""``table`` (default): all 32,768 NATS-SSS architectures' 90-epoch validation accuracy.

The shared file ``data/nats_sss/nats_sss_acc.csv`` (columns ``index``, ``arch``, one accuracy
per dataset) holds NATS-Bench's ``get_more_info(i, entry, hp='90', is_random=False)
['valid-accuracy']`` — one training run (seed 777) per architecture at 90 epochs:

* cifar10: entry ``cifar10-valid``, the held-out half of the CIFAR-10 training set (25k
  images), **validation** accuracy, not test (CIFAR-10 test is about 3 points higher);
* cifar100 and ImageNet16-120: NATS's ``valid`` half of each test set (5k / 3k images).

Every signature says so (split "valid", 90 epochs, one run). The file's values equal the
official archive's for the fixture architectures (a test). ``path`` and ``metrics`` may be
overridden like any table oracle's.
"""

from __future__ import annotations

from pydantic import Field

from nas_harness.api.tables import TableConfig, TableMetric, TableOracle

_ONE_RUN = "one run (seed 777)"
DEFAULT_METRICS: dict[str, TableMetric] = {
    "cifar10": TableMetric(
        column="cifar10_acc_25k", metric="accuracy", unit="%", split="valid", epochs=90, aggregation=_ONE_RUN
    ),
    "cifar100": TableMetric(
        column="cifar100_acc_5k", metric="accuracy", unit="%", split="valid", epochs=90, aggregation=_ONE_RUN
    ),
    "ImageNet16-120": TableMetric(
        column="imagenet16_120_acc_3k",
        metric="accuracy",
        unit="%",
        split="valid",
        epochs=90,
        aggregation=_ONE_RUN,
    ),
}


class NATSSSSTableConfig(TableConfig):
    path: str = Field("data/nats_sss/nats_sss_acc.csv", description="the NATS-SSS accuracy table")
    arch_column: str = "arch"
    metrics: dict[str, TableMetric] = Field(default_factory=lambda: dict(DEFAULT_METRICS))


class NATSSSSTable(TableOracle):
    name = "table"
    Config = NATSSSSTableConfig
    summary = "NATS-SSS 90-epoch validation accuracy of one run, all 32,768 archs (shared nats_sss_acc.csv)"
