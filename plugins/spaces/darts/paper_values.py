"""Published DARTS-space numbers the reproductions compare against: one place, typed, transcribed.

Copied from the specs in ``shared/spec``: ftscorenet.md Table I (DARTS row, handcrafted columns;
the paper's DARTS ground truth is NDS's CIFAR-10 DARTS sample, not NAS-Bench-301) and sed.md
(the text's ρ of SED on 2,000 random NAS-Bench-301 archs).
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

FTSCORENET = "Le et al., FT-ScoreNet (paper 003; spec ftscorenet.md)"
SED = "Wu et al., Zero-shot NAS via the Suppression of Local Entropy Decrease (paper 000; spec sed.md)"

FTSCORENET_T1 = PaperTable(
    key="ftscorenet-t1-darts",
    paper=FTSCORENET,
    table="Table I (DARTS row, handcrafted columns)",
    title="Spearman ρ of handcrafted scores on 1,000 random archs of NDS's DARTS space (CIFAR-10)",
    metric="spearman",
    columns=("darts",),
    rows={"Zen-Score": (0.448,), "Params": (0.668,), "NASWOT": (0.647,)},
    notes=("the paper's ground truth: NDS DARTS (CIFAR-10, 100 epochs, its own network and training)",),
)

SED_NB301 = PaperTable(
    key="sed-text-nb301",
    paper=SED,
    table="text (E3)",
    title="Spearman ρ of SED on 2,000 random NAS-Bench-301 archs (CIFAR-10)",
    metric="spearman",
    columns=("darts",),
    rows={"SED": (0.61,)},
    notes=("the text says 0.09 above the best baseline (≈ 0.52), which it does not name",),
)

TABLES: dict[str, PaperTable] = {t.key: t for t in (FTSCORENET_T1, SED_NB301)}
