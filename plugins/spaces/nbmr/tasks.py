"""The nine NAS-Bench-MR tasks, their metric columns in ``nbmr.csv``, and the scoring form.

Every task's ground truth comes from a network trained on that task (ImageNet subsets,
Cityscapes, HMDB51, KITTI). Proxies score the *classification form* of the network (``model.py``)
on the run's input batch, CIFAR-10 images by default (the Eproxy paper's convention for
NAS-Bench-MR: one batch of CIFAR-10 images for every task): so each task's scoring input is a
10-class, 3×32×32 CIFAR-10 classification problem, whatever the task the metric is from.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas_harness.api import HarnessError


@dataclass(frozen=True)
class TaskSpec:
    name: str
    columns: tuple[str, ...]  # metric columns of nbmr.csv; the first is the default metric
    what: str


TASK_SPECS: dict[str, TaskSpec] = {
    s.name: s
    for s in (
        TaskSpec(
            "cls-50-1000",
            ("cls-50-1000_top1", "cls-50-1000_top5"),
            "ImageNet subset, 50 classes x 1,000 images (the Eproxy paper's Cls-A)",
        ),
        TaskSpec(
            "cls-10-1000",
            ("cls-10-1000_top1", "cls-10-1000_top5"),
            "ImageNet subset, 10 classes x 1,000 images (the Eproxy paper's Cls-C)",
        ),
        TaskSpec(
            "cls-50-100",
            ("cls-50-100_top1", "cls-50-100_top5"),
            "ImageNet subset, 50 classes x 100 images (the Eproxy paper's Cls-B)",
        ),
        TaskSpec(
            "cls-10c", ("cls-10c_top1", "cls-10c_top5"), "ImageNet subset setting the benchmark calls cls-10c"
        ),
        TaskSpec("seg", ("seg_mIoU", "seg_mAcc", "seg_aAcc"), "Cityscapes semantic segmentation"),
        TaskSpec(
            "seg-4x",
            ("seg-4x_mIoU", "seg-4x_mAcc", "seg-4x_aAcc"),
            "Cityscapes semantic segmentation, the benchmark's 4x setting",
        ),
        TaskSpec("video", ("video_top1", "video_top5"), "HMDB51 video recognition"),
        TaskSpec(
            "video-p",
            ("video-p_top1", "video-p_top5"),
            "HMDB51 video recognition, the benchmark's -p setting",
        ),
        TaskSpec(
            "3ddet_moderate",
            ("3ddet_moderate",),
            "KITTI 3D detection, moderate difficulty (two networks read 0.0: failed runs)",
        ),
    )
}

SCORING_CLASSES = 10  # CIFAR-10, the scoring input of every task
SCORING_SHAPE = (3, 32, 32)


def task_spec(name: str) -> TaskSpec:
    if name not in TASK_SPECS:
        raise HarnessError(f"space 'nbmr' has no task {name!r}; known: {', '.join(TASK_SPECS)}")
    return TASK_SPECS[name]
