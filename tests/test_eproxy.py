"""Eproxy: deterministic scores and targets, taps before the down-samplings, the FLOPs term, and
that a network unable to fit the targets scores worse (higher loss) than one that can."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from proxy_helpers import declared, make_ctx
from pydantic import ValidationError
from torch import nn

from nas_harness.api import ProxyFailure
from nas_harness.plugins.proxies import _eproxy_targets as T
from nas_harness.plugins.proxies.eproxy import (
    Branch,
    Eproxy,
    EproxyConfig,
    _heads,
    _Taps,
    count_macs,
    eproxy_score,
    regression_losses,
)

SMALL = {"c_mid": 16, "c_out": 8}


def small(**kw) -> EproxyConfig:
    branches = kw.pop("branches", (Branch(**SMALL),))
    return EproxyConfig(branches=branches, bank_channels=8, batch_size=8, **kw)


class Zero(nn.Module):
    def forward(self, x):
        return x * 0.0


class Cell(nn.Module):
    def __init__(self, c: int, dead: bool = False):
        super().__init__()
        self.op = (
            Zero()
            if dead
            else nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        )

    def forward(self, x):
        return self.op(x) if isinstance(self.op, Zero) else x + self.op(x)


class Down(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out)
        )

    def forward(self, x):
        return self.conv(x)


class TinyNet(nn.Module):
    """stem, cells (cell, down, cell, down, cell), BN+ReLU, global pool, linear: NB201's layout."""

    def __init__(self, width: int = 8, dead: bool = False, downs: int = 2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))
        blocks: list[nn.Module] = [Cell(width, dead)]
        c = width
        for _ in range(downs):
            blocks += [Down(c, 2 * c), Cell(2 * c, dead)]
            c *= 2
        self.cells = nn.ModuleList(blocks)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, 3)

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.classifier(torch.flatten(self.global_pooling(self.lastact(x)), 1))


def images(n: int = 8, side: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


def score(
    config: EproxyConfig, make=lambda: TinyNet(), seed: int = 0, x: torch.Tensor | None = None
) -> float:
    ctx = make_ctx(lambda bn: make(), inputs=images() if x is None else x, seed=seed)
    return Eproxy(config).score(ctx)


# --------------------------------------------------------------------------- targets


def test_the_same_target_seed_gives_the_same_targets_and_another_seed_other_targets():
    x = images()
    for kind in T.FEATURE_KINDS:
        a = T.feature_bank(kind, x, 8, (4, 4), seed=3)
        b = T.feature_bank(kind, x, 8, (4, 4), seed=3)
        c = T.feature_bank(kind, x, 8, (4, 4), seed=4)
        assert a.shape == (8, 8, 4, 4)
        assert torch.equal(a, b), kind
        assert not torch.equal(a, c), kind


def test_a_bank_with_fewer_channels_is_the_first_channels_of_a_wider_bank():
    x = images()
    for kind in ("wave_m", "dot"):
        wide = T.feature_bank(kind, x, 16, (4, 4), seed=1)
        # sines draw (image, channel) parameters in one array, so only equal widths share them
        assert torch.equal(T.feature_bank(kind, x, 16, (4, 4), seed=1)[:, :8], wide[:, :8])


def test_sines_vary_along_one_axis_only_with_a_frequency_inside_their_band():
    h = w = 64
    for kind, (lo, hi) in T.WAVE_BANDS.items():
        bank = T.waves(kind, 4, 6, (h, w), seed=0).double().numpy()
        assert np.abs(bank).max() <= 1.0 + 1e-6
        for img in bank.reshape(-1, h, w):
            along_w = np.allclose(img, img[:1, :])  # every row equal: varies along the width
            along_h = np.allclose(img, img[:, :1])
            assert along_w != along_h
            line = img[0, :] if along_w else img[:, 0]
            spectrum = np.abs(np.fft.rfft(line * np.hanning(len(line))))
            peak = np.argmax(spectrum[1:]) + 1 if lo > 0 else np.argmax(spectrum)
            freq = peak / len(line)
            assert lo - 2 / len(line) <= freq <= hi + 2 / len(line), (kind, freq)


def test_dots_are_plus_or_minus_one_and_the_teacher_output_is_standardized_per_channel():
    d = T.dots(4, 5, (3, 3), seed=0)
    assert set(d.unique().tolist()) == {-1.0, 1.0}
    net = T.teacher_features(images(8, 32), 6, (8, 8), seed=0).double()
    assert torch.allclose(net.mean(dim=(0, 2, 3)), torch.zeros(6, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(
        net.std(dim=(0, 2, 3), unbiased=False), torch.ones(6, dtype=torch.float64), atol=1e-4
    )


def test_the_teacher_reads_the_images_so_other_images_give_other_net_targets():
    a = T.teacher_features(images(seed=0), 4, (4, 4), seed=0)
    b = T.teacher_features(images(seed=1), 4, (4, 4), seed=0)
    assert not torch.allclose(a, b)


def test_a_branch_target_is_the_sum_of_its_kinds_times_the_augment_coefficient():
    x = images()
    banks = {k: T.feature_bank(k, x, 8, (4, 4), seed=0) for k in ("wave_h", "dot")}
    like = torch.zeros(8, 3, 4, 4)
    got = T.combined_target(banks, ("wave_h", "dot"), 5, 1.5, like)
    assert torch.allclose(got, 1.5 * (banks["wave_h"][:, :5] + banks["dot"][:, :5]))
    assert torch.equal(T.combined_target(banks, (), 5, 2.0, like), torch.zeros(8, 5, 4, 4))


def test_augmentation_is_seeded_and_crops_are_shifted_copies_of_the_padded_image():
    x = images(4, 8)
    a = T.augment(x, pad=2, flip=True, seed=0)
    assert torch.equal(a, T.augment(x, pad=2, flip=True, seed=0))
    assert a.shape == x.shape
    assert torch.equal(T.augment(x, pad=0, flip=False, seed=0), x)
    padded = nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(4):
        found = any(
            torch.equal(a[i], cand)
            for t in range(5)
            for s in range(5)
            for cand in (padded[i, :, t : t + 8, s : s + 8], padded[i, :, t : t + 8, s : s + 8].flip(-1))
        )
        assert found


# --------------------------------------------------------------------------- the score


def test_the_same_seed_gives_the_same_score_and_another_seed_another():
    cfg = small()
    a, b, c = score(cfg, seed=0), score(cfg, seed=0), score(cfg, seed=1)
    assert math.isfinite(a) and a > 0
    assert a == b
    assert a != c


def test_a_network_that_cannot_fit_the_targets_scores_worse_than_one_that_can():
    cfg = small(lr=0.1)
    able = score(cfg, lambda: TinyNet(dead=False))
    dead = score(cfg, lambda: TinyNet(dead=True))  # every cell outputs zeros: constant features
    assert dead > able


def test_the_score_is_the_loss_of_the_last_step_before_its_update_and_training_lowers_it():
    cfg = small(lr=0.1, iterations=6, augment_pad=0, augment_flip=False)
    torch.manual_seed(0)
    losses = regression_losses(TinyNet(), images(), cfg, seed=0)
    assert len(losses) == 6
    assert losses[-1] < losses[0]
    torch.manual_seed(0)
    assert eproxy_score(TinyNet(), images(), cfg, seed=0) == losses[-1]


def test_the_barrier_is_frozen_and_the_transform_maps_to_c_mid_channels():
    cfg = small()
    transforms, barriers = _heads(cfg, [torch.zeros(2, 32, 4, 4)])
    assert transforms[0][0].in_channels == 32 and transforms[0][0].out_channels == 16
    assert barriers[0].out_channels == 8
    assert not any(p.requires_grad for p in barriers.parameters())
    no_barrier, _ = _heads(small(barrier=False), [torch.zeros(2, 32, 4, 4)])
    assert no_barrier[0][0].out_channels == 8


def test_branches_read_the_maps_entering_the_second_and_first_down_sampling():
    model = TinyNet()
    taps = _Taps(declared(model), 3)
    seen = {}
    for i, cell in enumerate(model.cells):
        cell.register_forward_hook(lambda m, a, out, i=i: seen.setdefault(i, out))
    outs = taps.run(model, images())
    assert [tuple(o.shape) for o in outs] == [(8, 32, 4, 4), (8, 16, 4, 4), (8, 8, 4, 4)]
    # cells: 0 cell(16x16), 1 down, 2 cell(8x8), 3 down, 4 cell(4x4)
    assert torch.equal(outs[1], seen[2][..., ::2, ::2])  # nearest 8x8 -> 4x4 keeps every 2nd pixel
    assert torch.equal(outs[2], seen[0][..., ::4, ::4])
    three = small(branches=(Branch(**SMALL), Branch(**SMALL), Branch(**SMALL)))
    assert math.isfinite(score(three))


def test_a_branch_asking_for_a_down_sampling_the_network_lacks_fails():
    cfg = small(branches=(Branch(**SMALL), Branch(**SMALL)))
    with pytest.raises(ProxyFailure, match="down-sample"):
        score(cfg, lambda: TinyNet(downs=1))


def test_the_flops_term_scales_the_loss_by_one_plus_alpha_times_normalized_macs():
    base = score(small())
    torch.manual_seed(0)
    macs = count_macs(TinyNet(), images())
    # by hand: stem, cell conv, down, cell conv, down, cell conv, classifier (16x16 input)
    w = 8
    expected = (
        16 * 16 * w * 3 * 9
        + 16 * 16 * w * w * 9
        + 8 * 8 * 2 * w * w * 9
        + 8 * 8 * 2 * w * 2 * w * 9
        + 4 * 4 * 4 * w * 2 * w * 9
        + 4 * 4 * 4 * w * 4 * w * 9
        + 4 * w * 3
    )
    assert macs == expected
    scored = score(small(flops_alpha=0.3, flops_max=2.0 * macs))
    assert scored == pytest.approx(base * (1 + 0.3 * 0.5), rel=1e-6)


def test_config_rejects_a_flops_term_without_its_normalizer_and_targets_wider_than_the_bank():
    with pytest.raises(ValidationError, match="flops_max"):
        EproxyConfig(flops_alpha=0.2)
    with pytest.raises(ValidationError, match="bank_channels"):
        EproxyConfig(branches=(Branch(c_out=64),), bank_channels=32)
    with pytest.raises(ValidationError):
        EproxyConfig(branches=())


def test_too_few_images_is_a_failure_naming_the_batch_size():
    with pytest.raises(ProxyFailure, match="batch_size"):
        score(small(), x=images(4))


def test_eproxy_scores_an_nb201_network():
    from nas_harness.plugins.spaces.nb201.space import NB201Space

    space = NB201Space()
    arch = space.arch(123)
    cfg = EproxyConfig(
        branches=(Branch(c_mid=32, c_out=16), Branch(c_mid=32, c_out=16)), iterations=2, bank_channels=16
    )
    ctx = make_ctx(lambda bn: space.build_model(arch, "cifar10", bn=bn), inputs=images(16, 32))
    value = Eproxy(cfg).score(ctx)
    assert math.isfinite(value) and value > 0


def test_a_bare_module_is_read_at_its_global_pooling_and_scores_as_its_declared_features_do():
    cfg = small()
    torch.manual_seed(0)
    bare = eproxy_score(TinyNet(), images(), cfg, seed=0)  # no declared parts: the pool's input
    torch.manual_seed(0)
    assert eproxy_score(declared(TinyNet()), images(), cfg, seed=0) == bare  # lastact's output
    with pytest.raises(ProxyFailure, match="cells"):
        _Taps(TinyNet(), 2)  # a bare module declares no cells: one branch only
