"""Published NATS-Bench-SSS numbers the reproductions compare against: one place, typed, transcribed.

Copied from ``shared/spec/sed.md`` Table 2 (the SSS columns): the test accuracy (%) and the rank
among all 32,768 archs of the architecture with the greatest proxy value.
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

SED = "Wu et al., Zero-shot NAS via the Suppression of Local Entropy Decrease (paper 000; spec sed.md)"

SED_T2_SSS = PaperTable(
    key="sed-t2-sss",
    paper=SED,
    table="Table 2 (SSS columns)",
    title="Test accuracy (%) and rank of the architecture with the greatest proxy value over all of NATS-Bench-SSS",
    metric="argmax",
    columns=("c10 test", "c10 rank", "c100 test", "c100 rank", "in16 test", "in16 rank"),
    rows={
        "grasp": (86.11, 17572, 45.43, 26388, 25.29, 26980),
        "meco": (76.25, 32752, 31.07, 32607, 22.79, 29928),
        "zico": (88.67, 353, 60.33, 17, 37.36, 64),
        "synflow": (89.45, 1, 60.94, 2, 39.46, 1),
        "zen": (88.8, 202, 60.38, 13, 37.46, 60),
        "grad norm": (86.69, 12589, 33.85, 32195, 18.33, 32424),
        "#Param": (89.45, 1, 60.94, 2, 39.46, 1),
        "SED": (89.45, 1, 60.94, 2, 39.46, 1),
    },
    notes=("synflow, #Param and SED pick the same network: the all-64-channel one (sed.md §2.4)",),
)

TABLES: dict[str, PaperTable] = {t.key: t for t in (SED_T2_SSS,)}
