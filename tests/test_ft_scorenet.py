"""ft_scorenet: DFT weight generation, soft ranks, fitted state, training on a toy space."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
import torch
from scipy.stats import rankdata, spearmanr
from torch import nn

from nas_harness.api import BuiltModel, DatasetInfo, HarnessError, NotApplicable, ScoreContext
from nas_harness.plugins.proxies._ftscore_net import (
    NetSpec,
    PseudoBatchNorm,
    ScoreNet,
    resize_1d,
    resize_2d,
)
from nas_harness.plugins.proxies._ftscore_softrank import soft_rank, soft_spearman
from nas_harness.plugins.proxies.ft_scorenet import FTScoreNet

TINY = dict(images=8, image_size=8, kernel=3, maps=8, l1_width=8)


def magnitude_moments(z: torch.Tensor) -> tuple[float, float]:
    """Mean of |X| and mean of |X|^2 over all coefficients."""
    m = z.abs().double()
    return float(m.mean()), float((m**2).mean())


def test_zero_padding_scales_dft_mean_by_sqrt_n_over_k_and_variance_by_n_over_k_and_the_correction_undoes_it():
    gen = torch.Generator().manual_seed(0)
    n = 64
    x = torch.randn(n, 4000, generator=gen)
    base_mean, base_var = magnitude_moments(torch.fft.fft(x, dim=0, norm="ortho"))
    for k in (96, 256):
        raw_mean, raw_var = magnitude_moments(torch.fft.fft(x, n=k, dim=0, norm="ortho"))
        assert raw_mean / base_mean == pytest.approx(np.sqrt(n / k), rel=0.03)  # eq. 1
        assert raw_var / base_var == pytest.approx(n / k, rel=0.03)  # eq. 2
        mean, var = magnitude_moments(resize_1d(x, k))
        assert mean == pytest.approx(base_mean, rel=0.03)
        assert var == pytest.approx(base_var, rel=0.03)
    for k in (16, 40):  # trimming: min(1, N/K) = 1, nothing to correct
        mean, var = magnitude_moments(resize_1d(x, k))
        assert mean == pytest.approx(base_mean, rel=0.03)
        assert var == pytest.approx(base_var, rel=0.03)


def test_two_d_resizing_of_kernel_maps_keeps_their_mean_and_variance_for_larger_and_smaller_kernels():
    gen = torch.Generator().manual_seed(1)
    maps = torch.randn(3000, 3, 3, generator=gen)
    base_mean, base_var = magnitude_moments(torch.fft.fft2(maps, norm="ortho"))
    for kh, kw in [(1, 1), (5, 5), (7, 3), (7, 7)]:
        mean, var = magnitude_moments(resize_2d(maps, kh, kw))
        assert var == pytest.approx(base_var, rel=0.03)
        if kh * kw > 1:  # a 1x1 "DFT" is the real sample itself: |x| has a real, not complex, law
            assert mean == pytest.approx(base_mean, rel=0.03)


def test_conv_weights_come_from_the_one_bank_for_any_shape_with_kaiming_scale():
    net = ScoreNet(NetSpec(maps=16, kernel=3))
    for c_out, c_in, k in [(4, 3, 1), (16, 16, 3), (64, 32, 5), (8, 8, 7)]:
        w, b = net.bank.kernel(c_out, c_in, k, k, gain=np.sqrt(2))
        assert w.shape == (c_out, c_in, k, k) and b.shape == (c_out,)
        assert (w >= 0).all()  # magnitudes
        if w.numel() < 1000:
            continue  # too few weights for a moment
        # E|W|^2 = gain^2 / fan_in: the bank's unit variance kept by the corrections
        assert float((w.detach().double() ** 2).mean()) * c_in * k * k / 2 == pytest.approx(1.0, rel=0.25)
        grads = torch.autograd.grad(w.sum(), net.bank.weight_maps)[0]
        assert grads.abs().sum() > 0


def test_soft_rank_equals_exact_ranks_when_regularisation_vanishes_and_the_mean_rank_when_it_is_large():
    rng = np.random.default_rng(2)
    x = rng.normal(size=30)
    t = torch.tensor(x)
    assert np.allclose(soft_rank(t, 1e-4).numpy(), rankdata(x))
    big = soft_rank(t, 1e6).numpy()
    assert np.allclose(big, (len(x) + 1) / 2)
    for eps in (0.1, 1.0, 3.0, 10.0):  # a point of the permutahedron: ranks sum to n(n+1)/2
        r = soft_rank(t, eps).numpy()
        assert r.sum() == pytest.approx(len(x) * (len(x) + 1) / 2)
        assert np.all(np.diff(r[np.argsort(x)]) >= -1e-9)  # order preserving


def test_soft_rank_gradient_matches_finite_differences():
    x = torch.tensor(np.random.default_rng(3).normal(size=12) * 3, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: soft_rank(v, 3.0), (x,), eps=1e-6, atol=1e-5)


def test_soft_spearman_loss_drives_a_linear_scorer_to_rank_a_toy_problem_almost_perfectly():
    gen = torch.Generator().manual_seed(4)
    features = torch.randn(60, 5, generator=gen)
    target = features @ torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0])
    w = torch.zeros(5).normal_(generator=gen).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=0.05)
    start = spearmanr((features @ w).detach(), target)[0]
    for _ in range(300):
        opt.zero_grad()
        (-soft_spearman(features @ w, target, 3.0)).backward()
        opt.step()
    rho = spearmanr((features @ w).detach(), target)[0]
    assert rho > 0.99 > start


def test_a_fitted_state_serializes_to_bytes_and_reloads_bit_for_bit():
    net = ScoreNet(NetSpec(**TINY, seed=5))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(6)))
    data = net.to_bytes()
    again = ScoreNet.from_bytes(data)
    assert again.spec == net.spec
    a, b = net.state_dict(), again.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
    model = toy_model((2, 3, 1))
    with torch.no_grad():
        s1 = net(net.construct(model, model[-1]))
    model2 = toy_model((2, 3, 1))
    with torch.no_grad():
        s2 = again(again.construct(model2, model2[-1]))
    assert torch.equal(s1, s2)
    assert again.to_bytes() == data


# --------------------------------------------------------------------------- a toy space

TOY_ARCHS = list(itertools.product((1, 2, 3, 4), (1, 3, 5), (0, 1)))  # depth, kernel, pool


def toy_model(arch: tuple[int, int, int]) -> nn.Module:
    depth, k, pool = arch
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)]
    for _ in range(depth):
        layers += [nn.ReLU(), nn.Conv2d(8, 8, k, padding=k // 2, bias=False), nn.BatchNorm2d(8)]
        if pool:
            layers.append(nn.MaxPool2d(3, stride=1, padding=1))
    layers += [nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)]
    return nn.Sequential(*layers)


def toy_built(arch: tuple[int, int, int]) -> BuiltModel:
    """The toy network with its declared head (the classifier ft_scorenet drops)."""
    model = toy_model(arch)
    return BuiltModel(module=model, head=model[-1])


def toy_target(arch: tuple[int, int, int]) -> float:
    depth, k, pool = arch
    return depth + 0.4 * k - 1.5 * pool


def test_the_constructed_network_keeps_the_graph_and_replaces_convs_bn_and_the_classifier():
    net = ScoreNet(NetSpec(**TINY))
    model = toy_model((2, 3, 1))
    built = net.construct(model, model[-1])
    kinds = {type(m).__name__ for m in built.modules()}
    assert not kinds & {"Conv2d", "BatchNorm2d", "Linear"}
    assert {"DFTConv2d", "PseudoBatchNorm", "MaxPool2d", "ReLU"} <= kinds
    assert sum(p.numel() for p in built.parameters()) == 0  # every weight comes from the bank
    with torch.no_grad():
        feats = built(net.inputs)
    assert feats.shape == (TINY["images"], 8)
    x = torch.randn(5, 3, 4, 4) * 3 + 2
    z = PseudoBatchNorm()(x)
    assert torch.allclose(z.mean(0), torch.zeros(3, 4, 4), atol=1e-5)
    assert torch.allclose(z.std(0, unbiased=False), torch.ones(3, 4, 4), atol=1e-3)


@pytest.mark.slow
def test_training_on_a_tiny_toy_space_improves_spearman():
    archs = [str(a) for a in TOY_ARCHS]
    targets = [toy_target(a) for a in TOY_ARCHS]
    by_name = dict(zip(archs, TOY_ARCHS))
    proxy = FTScoreNet(FTScoreNet.Config(**TINY, steps=40, sample_size=12, lr=1e-2, seed=7))

    def scores(p: FTScoreNet) -> np.ndarray:
        return np.array([p.score(toy_context(by_name[a])) for a in archs])

    untrained = FTScoreNet(proxy.config)
    untrained.load_state(ScoreNet(proxy.config.net_spec()).to_bytes())
    before = spearmanr(scores(untrained), targets)[0]
    state = proxy.fit_archs(archs, targets, lambda a: toy_built(by_name[a]), rng=np.random.default_rng(0))
    after = spearmanr(scores(proxy), targets)[0]
    assert after > max(before, 0.0) + 0.3, (before, after)
    reloaded = FTScoreNet(proxy.config)
    reloaded.load_state(state)
    assert np.array_equal(scores(reloaded), scores(proxy))


def toy_context(arch: tuple[int, int, int]) -> ScoreContext:
    return ScoreContext(
        arch=str(arch),
        space="toy",
        dataset=DatasetInfo("toy", 10, (3, 8, 8)),
        seed=0,
        _model_factory=lambda bn=True: toy_built(arch),
    )


def test_scoring_without_a_state_or_with_a_state_of_another_shape_is_a_user_error(tmp_path):
    with pytest.raises(HarnessError, match="state"):
        FTScoreNet().score(toy_context((1, 1, 0)))
    with pytest.raises(HarnessError, match="not found"):
        FTScoreNet(FTScoreNet.Config(state=str(tmp_path / "nope.pt"))).score(toy_context((1, 1, 0)))
    path = tmp_path / "state.pt"
    path.write_bytes(ScoreNet(NetSpec(**TINY)).to_bytes())
    with pytest.raises(HarnessError, match="fitted with"):
        FTScoreNet(FTScoreNet.Config(state=str(path))).score(toy_context((1, 1, 0)))
    ok = FTScoreNet(FTScoreNet.Config(**TINY, state=str(path)))
    assert np.isfinite(ok.score(toy_context((1, 1, 0))))
    with pytest.raises(HarnessError, match="state_sha256"):
        FTScoreNet(FTScoreNet.Config(**TINY, state=str(path), state_sha256="0" * 64)).score(
            toy_context((1, 1, 0))
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert np.isfinite(
        FTScoreNet(FTScoreNet.Config(**TINY, state=str(path), state_sha256=digest)).score(
            toy_context((1, 1, 0))
        )
    )


def test_an_nb201_network_is_constructed_and_scored():
    from nas_harness.plugins.spaces.nb201.space import NB201Space

    space = NB201Space()
    arch = space.arch(1234)
    proxy = FTScoreNet(FTScoreNet.Config(**{**TINY, "images": 4}))
    proxy.load_state(ScoreNet(proxy.config.net_spec()).to_bytes())
    ctx = ScoreContext(
        arch=arch,
        space="nb201",
        dataset=space.dataset("cifar10"),
        seed=0,
        _model_factory=lambda bn=True: space.build_model(arch, "cifar10", bn=bn),
    )
    assert np.isfinite(proxy.score(ctx))


def test_kernels_shared_across_networks_in_a_step_give_the_same_gradient_as_generating_them_per_network():
    grads = []
    for shared in (False, True):
        net = ScoreNet(NetSpec(**TINY, seed=8))
        nets = []
        for arch in [(1, 3, 0), (2, 5, 1), (3, 1, 0)]:
            m = toy_model(arch)
            nets.append(net.construct(m, m[-1]))
        if shared:
            with net.bank.shared_kernels():
                for i, built in enumerate(nets):
                    (net(built) * (i + 1)).backward()
        else:
            for i, built in enumerate(nets):
                (net(built) * (i + 1)).backward()
        grads.append({k: p.grad.clone() for k, p in net.named_parameters()})
    for key in grads[0]:
        assert torch.allclose(grads[0][key], grads[1][key], rtol=1e-4, atol=1e-6), key


def test_an_architecture_whose_cells_output_zeros_has_a_finite_gradient():
    net = ScoreNet(NetSpec(**TINY))
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        Zeros(),
        nn.BatchNorm2d(8),
        nn.Conv2d(8, 8, 1),
        nn.BatchNorm2d(8),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )
    net(net.construct(model, model[-1])).backward()
    for name, p in net.named_parameters():
        assert torch.isfinite(p.grad).all(), name


class Zeros(nn.Module):
    def forward(self, x):
        return x * 0


def test_round_robin_training_takes_step_t_from_space_t_mod_n_with_each_space_counting_its_own_steps():
    from nas_harness.plugins.proxies._ftscore_net import round_robin

    calls = []
    samplers = [lambda s, j=j: calls.append((j, s)) or ([], torch.zeros(0)) for j in range(3)]
    sample = round_robin(samplers)
    for step in range(7):
        sample(step)
    assert calls == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2)]


def test_the_ensemble_combines_normalised_sigmoids_and_its_weights_do_not_lose_to_the_best_member():
    from nas_harness.plugins.proxies._ftscore_ensemble import Ensemble, fit_weights, member_stats

    rng = np.random.default_rng(9)
    targets = [rng.normal(size=40), rng.normal(size=30)]
    # member 0 ranks set 0 well and set 1 badly, member 1 the other way round
    scores = [np.stack([t + rng.normal(0, 0.3, t.size), rng.normal(size=t.size)]) for t in targets[:1]]
    scores.append(np.stack([rng.normal(size=30), targets[1] + rng.normal(0, 0.3, 30)]))
    mu, sigma = member_stats([scores[0][0], scores[1][1]])
    assert mu[0] == pytest.approx(scores[0][0].mean()) and sigma[1] == pytest.approx(scores[1][1].std())
    weights, rho = fit_weights(scores, targets, mu, sigma, seed=0, maxiter=30)
    assert all(0 < w <= 1 for w in weights)
    ens = Ensemble(mu, sigma, weights)
    manual = sum(w / (1 + np.exp(-(scores[1][i] - mu[i]) / sigma[i])) for i, w in enumerate(weights))
    assert np.allclose(ens.combine(scores[1]), manual)
    single = max(np.mean([spearmanr(s[i], t)[0] for s, t in zip(scores, targets)]) for i in range(2))
    assert rho >= single - 1e-9
    assert rho == pytest.approx(np.mean([spearmanr(ens.combine(s), t)[0] for s, t in zip(scores, targets)]))


def test_an_ensemble_state_of_per_space_scorers_reloads_and_scores_identically():
    from nas_harness.plugins.proxies.ft_scorenet import Labelled

    fam_a = [a for a in TOY_ARCHS if a[2] == 0][:8]
    fam_b = [a for a in TOY_ARCHS if a[2] == 1][:8]
    sets = [
        Labelled(tuple(map(str, fam)), tuple(toy_target(a) for a in fam), lambda s: toy_built(eval(s)))
        for fam in (fam_a, fam_b)
    ]
    proxy = FTScoreNet(FTScoreNet.Config(**TINY, steps=2, sample_size=4))
    state = proxy.fit_sets(sets, "ensemble", rng=np.random.default_rng(0))
    again = FTScoreNet(proxy.config)
    again.load_state(state)
    assert again.state_bytes() == state
    for arch in fam_a[:3]:
        s1, s2 = proxy.score(toy_context(arch)), again.score(toy_context(arch))
        assert s1 == s2 and 0 < s1 < 2  # two weights ≤ 1 times sigmoids


# --------------------------------------------------------------------------- through the few-shot protocol


class ToyConvSpace:
    """The toy networks as a space (only what scoring and fitting use), built lazily so the
    module imports without the harness core."""

    @staticmethod
    def make(with_head: bool = True):
        from nas_harness.api import Space, Task

        class _Toy(Space):
            name = "ft_toy"
            version = "1"

            def parse(self, text):
                return text

            def sample(self, n, rng):
                return [str(TOY_ARCHS[i]) for i in rng.choice(len(TOY_ARCHS), n, replace=False)]

            def mutate(self, arch, rng):
                return arch

            def neighbours(self, arch):
                return []

            def tasks(self):
                return {"toy": Task("toy", 10, (3, 8, 8))}

            def build_model(self, arch, dataset, *, bn=True):
                return toy_built(eval(arch)) if with_head else toy_model(eval(arch))

            def topology(self, arch, dataset):
                raise NotImplementedError

            def cost(self, arch, dataset):
                raise NotImplementedError

        return _Toy()


def _labelled(archs) -> object:
    from nas_harness.api import LabelledSet, OracleInfo

    return LabelledSet(
        "ft_toy",
        "toy",
        tuple(archs),
        np.array([toy_target(eval(a)) for a in archs]),
        OracleInfo("o", "toy", "acc", "test", 1, "exact"),
        "ft_toy:toy/o",
        0,
    )


def test_fit_through_the_protocols_tools_reads_only_its_labelled_archs_and_the_state_hash_keys_the_stored_scores(
    tmp_path,
):
    import hashlib

    from nas_harness.engine import Engine
    from nas_harness.protocols.fitting import EngineFitTools, fit_fresh
    from nas_harness.scoring import ProxyJob, ScoringSetup
    from nas_harness.store import ScoreStore

    setup = ScoringSetup(space=ToyConvSpace.make(), dataset="toy")
    archs = [str(a) for a in TOY_ARCHS]
    ls = _labelled(archs[:6])
    store = ScoreStore(tmp_path / "s.sqlite")
    tools = EngineFitTools({("ft_toy", "toy"): setup}, store, None, None, (0, 6))
    job = fit_fresh(ProxyJob(FTScoreNet(FTScoreNet.Config(**TINY, steps=2, sample_size=6))), [ls], tools)
    assert tools.scored == set(ls.archs)
    state = job.proxy.fitted()
    assert job.calibration.state_hash == hashlib.sha256(state).hexdigest()[:12]
    assert job.calibration.hash == ls.hash
    with pytest.raises(HarnessError, match="not in its labelled set"):
        tools.context(ls, archs[10])
    # a second fit of the same set gives the same bytes, so its scores come from the store
    again = fit_fresh(ProxyJob(FTScoreNet(job.proxy.config)), [ls], tools)
    assert again.proxy.fitted() == state
    evaluation = archs[6:10]
    first = Engine(setup, store).score([job], evaluation)[job.name]
    second = Engine(setup, store).score([again], evaluation)[job.name]
    assert first.computed == 4 and second.computed == 0
    assert np.array_equal(first.values, second.values) and np.isfinite(first.values).all()
    assert setup.key(job) == setup.key(again) and job.calibration.state_hash in str(setup.key(job))
    store.close()


def test_a_fitted_state_reloads_bit_for_bit_and_scores_as_the_fitted_instance():
    archs = [str(a) for a in TOY_ARCHS[:6]]
    ls = _labelled(archs)
    proxy = FTScoreNet(FTScoreNet.Config(**TINY, steps=2, sample_size=6))
    state = proxy.fit([ls], _Tools())
    proxy.load_state(state)
    again = FTScoreNet(proxy.config)
    again.load_state(state)
    assert again.state_bytes() == state == again.fitted()
    for arch in TOY_ARCHS[6:9]:
        assert again.score(toy_context(arch)) == proxy.score(toy_context(arch))


class _Tools:
    """FitTools over the toy networks (fit needs only contexts and a seeded generator)."""

    def context(self, labelled, arch):
        assert arch in labelled.archs
        return toy_context(eval(arch))

    def score(self, proxy, config, labelled):
        raise AssertionError("ft_scorenet scores no other proxy")

    def rng(self):
        return np.random.default_rng(3)


def test_a_model_without_a_declared_head_is_not_applicable_and_neither_is_another_channel_count():
    proxy = FTScoreNet(FTScoreNet.Config(**TINY))
    proxy.load_state(ScoreNet(proxy.config.net_spec()).to_bytes())
    headless = ScoreContext(
        arch="x",
        space="toy",
        dataset=DatasetInfo("toy", 10, (3, 8, 8)),
        seed=0,
        _model_factory=lambda bn=True: toy_model((1, 3, 0)),
    )
    with pytest.raises(NotApplicable, match="declare no head"):
        proxy.score(headless)
    assert proxy.applicable(DatasetInfo("grey", 10, (1, 8, 8))) is not None
    assert proxy.applicable(DatasetInfo("seg", 5, (3, 8, 8), output="dense")) is None


def test_the_protocol_cannot_overwrite_a_state_named_in_the_config(tmp_path):
    proxy = FTScoreNet(FTScoreNet.Config(**TINY, state=str(tmp_path / "s.pt")))
    with pytest.raises(HarnessError, match="leave 'state' unset"):
        proxy.fit([_labelled([str(a) for a in TOY_ARCHS[:4]])], _Tools())
