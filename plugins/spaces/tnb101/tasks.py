"""The seven TransNAS-Bench-101 tasks: what the head outputs, its loss, the benchmark's metric.

Output sizes are the benchmark's (its ``model_builder``): 100 object classes, 63 scene classes,
1,000 jigsaw permutations, a 9-value room-layout vector, 17 segmentation classes, 3-channel
normal and reconstruction maps. Losses are those the benchmark trains with (room layout: MSE;
normal, autoencoder: L1 — the autoencoder's adversarial term needs a discriminator and is left
out; the rest: cross-entropy, per pixel for segmentation). Metrics are the validation columns of
the published table (``tnb101_{micro,macro}_val.csv``): top-1 accuracy (%) for the
classification tasks, pixel accuracy (%) for segmentation, SSIM for normal and autoencoder (all
higher-is-better), and for room layout the validation loss (lower-is-better; the table stores
its negative). Output kinds are the contract's: ``classes`` (scene, object, jigsaw),
``regression`` (room layout), ``dense`` (segmentation, normal), ``reconstruction`` (autoencoder),
so a proxy that needs class labels or (N, K) logits reports "not applicable" on the others.

Inputs: the run's image batch, CIFAR-10 (32×32) by default, as Eproxy (paper 002) scored every
TransNAS task on CIFAR-10 images; the encoder runs at the batch's size, with no resize, and
dense heads decode back to it (see ``model.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from nas_harness.api import Metric, Task

INPUT_SHAPE = (3, 32, 32)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    output: str  # "classes" | "regression" | "dense" | "reconstruction"
    n_out: int
    loss: str
    metric: str  # key of METRICS
    description: str


# What the published table's ``val_accuracy`` column holds per metric key, and how the harness
# reads it: (metric name, unit, higher is better, scale applied to the column).
# Room layout's column is the *negative* validation loss; the metric is the loss itself
# (lower is better), so the oracle multiplies the column by -1.
METRICS: dict[str, tuple[str, str, bool, float]] = {
    "top1": ("top-1 accuracy", "%", True, 1.0),
    "pixel_acc": ("pixel accuracy", "%", True, 1.0),
    "ssim": ("SSIM", "", True, 1.0),
    "loss": ("validation loss (MSE)", "", False, -1.0),
}

TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in (
        TaskSpec(
            "class_scene",
            "classes",
            63,
            "cross_entropy",
            "top1",
            "scene classification (Taskonomy, 63 classes)",
        ),
        TaskSpec(
            "class_object",
            "classes",
            100,
            "cross_entropy",
            "top1",
            "object classification (Taskonomy, 100 classes)",
        ),
        TaskSpec(
            "room_layout",
            "regression",
            9,
            "mse",
            "loss",
            "room layout regression (9 values); metric: validation MSE (the table stores its negative)",
        ),
        TaskSpec(
            "jigsaw",
            "classes",
            1000,
            "cross_entropy",
            "top1",
            "jigsaw: the 3×3 tiles of an image through a shared encoder, 1,000 permutation classes",
        ),
        TaskSpec(
            "segmentsemantic",
            "dense",
            17,
            "cross_entropy",
            "pixel_acc",
            "semantic segmentation (17 classes per pixel); metric: pixel accuracy",
        ),
        TaskSpec("normal", "dense", 3, "l1", "ssim", "surface normals (3-channel map, tanh); metric: SSIM"),
        TaskSpec(
            "autoencoder",
            "reconstruction",
            3,
            "l1",
            "ssim",
            "autoencoding (3-channel reconstruction, tanh); metric: SSIM",
        ),
    )
}


def as_task(spec: TaskSpec) -> Task:
    """The contract's Task for one TransNAS task: real output kind, loss and metric direction."""
    name, unit, higher, _ = METRICS[spec.metric]
    return Task(
        spec.name,
        spec.n_out,
        INPUT_SHAPE,
        output=spec.output,
        loss=spec.loss,
        metrics=(Metric(name, higher_is_better=higher, unit=unit, split="valid"),),
        data=None,
        description=spec.description
        + "; scored on the run's image batch (CIFAR-10 32×32 by default, Eproxy's "
        "convention), its labels used only by classification tasks",
    )
