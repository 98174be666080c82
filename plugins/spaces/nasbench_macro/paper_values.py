"""Published NAS-Bench-Macro numbers the reproductions compare against: one place, typed, transcribed.

Copied from ``shared/spec/ftscorenet.md`` Table I (the handcrafted-score columns of the Macro
row); ``reproductions`` maps the paper's row names to plugin names.
"""

from __future__ import annotations

from nas_harness.api.suites import PaperTable

FTSCORENET = "Le et al., FT-ScoreNet (paper 003; spec ftscorenet.md)"

FTSCORENET_T1 = PaperTable(
    key="ftscorenet-t1-macro",
    paper=FTSCORENET,
    table="Table I (Macro row, handcrafted columns)",
    title="Spearman ρ of handcrafted scores on 1,000 random NAS-Bench-Macro archs (CIFAR-10)",
    metric="spearman",
    columns=("macro",),
    rows={"Zen-Score": (0.682,), "Params": (0.317,), "NASWOT": (0.900,)},
    notes=("target: the benchmark's mean_acc on CIFAR-10 (the FT-ScoreNet code's); 1,000 random archs",),
)

TABLES: dict[str, PaperTable] = {t.key: t for t in (FTSCORENET_T1,)}
