"""The seven TransNAS-Bench-101 tasks: what the head outputs, its loss, the benchmark's metric.

Output sizes are the benchmark's (its ``model_builder``): 100 object classes, 63 scene classes,
1,000 jigsaw permutations, a 9-value room-layout vector, 17 segmentation classes, 3-channel
normal and reconstruction maps. Losses are those the benchmark trains with (room layout: MSE;
normal, autoencoder: L1 — the autoencoder's adversarial term needs a discriminator and is left
out; the rest: cross-entropy, per pixel for segmentation). Metrics are the validation columns of
the published table (``tnb101_{micro,macro}_val.csv``), all larger-is-better: top-1 accuracy
(%) for the classification tasks, pixel accuracy (%) for segmentation, SSIM for normal and
autoencoder, and the negative validation loss for room layout.

Inputs: the run's image batch, CIFAR-10 (32×32) by default, as Eproxy (paper 002) scored every
TransNAS task on CIFAR-10 images; the encoder runs at the batch's size, with no resize, and
dense heads decode back to it (see ``model.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

INPUT_SHAPE = (3, 32, 32)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    output: str  # "classes" | "regression" | "dense" | "reconstruction"
    n_out: int
    loss: str
    metric: str
    unit: str
    description: str


TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in (
        TaskSpec("class_scene", "classes", 63, "cross_entropy", "top1", "%", "scene classification (Taskonomy, 63 classes)"),
        TaskSpec("class_object", "classes", 100, "cross_entropy", "top1", "%", "object classification (Taskonomy, 100 classes)"),
        TaskSpec(
            "room_layout", "regression", 9, "mse", "neg_loss", "",
            "room layout regression (9 values); metric: negative validation MSE",
        ),
        TaskSpec(
            "jigsaw", "classes", 1000, "cross_entropy", "top1", "%",
            "jigsaw: the 3×3 tiles of an image through a shared encoder, 1,000 permutation classes",
        ),
        TaskSpec(
            "segmentsemantic", "dense", 17, "cross_entropy", "pixel_acc", "%",
            "semantic segmentation (17 classes per pixel); metric: pixel accuracy",
        ),
        TaskSpec("normal", "dense", 3, "l1", "ssim", "", "surface normals (3-channel map, tanh); metric: SSIM"),
        TaskSpec(
            "autoencoder", "reconstruction", 3, "l1", "ssim", "",
            "autoencoding (3-channel reconstruction, tanh); metric: SSIM",
        ),
    )
}
