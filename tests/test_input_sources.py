"""Input sources chosen independently of the task, and typed signatures in results."""

from __future__ import annotations

import json
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nas_harness import __version__
from nas_harness.api import BatchRequest, DataSource, HarnessError, Signature, SourceBatch, Task, hookimpl
from nas_harness.host import PluginHost
from nas_harness.inputs import InputConfig, load_batch
from nas_harness.leaderboard.schema import RunResult
from nas_harness.plugins.data.builtin.stats import MEAN_STD

REPO = Path(__file__).resolve().parents[1]
C10 = Task("cifar10", 10, (3, 32, 32), data="cifar10")
IN16 = Task("ImageNet16-120", 120, (3, 16, 16), data="imagenet16")
REGRESSION = Task("depth", 4, (3, 32, 32), output="regression", loss="mse")
RECON = Task("autoencoder", 3, (3, 32, 32), output="reconstruction", loss="l1")


@pytest.fixture(autouse=True)
def no_data_dir(monkeypatch):
    monkeypatch.delenv("NASH_DATA_DIR", raising=False)


@pytest.fixture
def cifar10_dir(tmp_path):
    """Official-format CIFAR-10 batches (random pixels) with labels 0..9."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump(
                {
                    "data": rng.integers(0, 256, (8, 3072), dtype=np.uint8),
                    "labels": rng.integers(0, 10, 8).tolist(),
                },
                f,
                protocol=4,
            )
    return folder


def test_a_cifar10_batch_feeds_an_imagenet16_task_when_resized(cifar10_dir):
    own = load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=6, seed=1), C10)
    batch = load_batch(
        InputConfig(kind="cifar10", path=cifar10_dir, batch_size=6, seed=1, resize="area"), IN16
    )
    assert batch.inputs.shape == (6, 3, 16, 16) and batch.kind == "cifar10"
    expected = F.interpolate(own.inputs, size=(16, 16), mode="area")  # recomputed from the 32×32 batch
    assert torch.allclose(batch.inputs, expected) and torch.equal(batch.targets, own.targets)
    assert batch.spec == "cifar10[train](bs=6,s=1,resize=16x16:area)" and batch.indices == own.indices
    # CIFAR-10's own statistics, whatever the task: the source decides its normalization
    raw = own.inputs[:, 0].double() * MEAN_STD["cifar10"][1][0] + MEAN_STD["cifar10"][0][0]
    assert float(raw.min()) >= -1e-5 and float(raw.max()) <= 1 + 1e-5
    smooth = load_batch(
        InputConfig(kind="cifar10", path=cifar10_dir, batch_size=6, seed=1, resize="bilinear"), IN16
    )
    assert torch.allclose(
        smooth.inputs,
        F.interpolate(own.inputs, size=(16, 16), mode="bilinear", align_corners=False, antialias=True),
    )


def test_a_shape_mismatch_names_both_shapes_and_the_way_out(cifar10_dir):
    with pytest.raises(HarnessError) as err:
        load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=2), IN16)
    text = str(err.value)
    assert "3×32×32" in text and "3×16×16" in text and "'ImageNet16-120'" in text and "input.resize" in text
    gray = Task("mnist-like", 10, (1, 32, 32))
    with pytest.raises(HarnessError, match=r"3×32×32.*1×32×32.*channel counts differ"):
        load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=2, resize="bilinear"), gray)


def test_labels_outside_the_tasks_classes_are_an_error_unless_filtered_or_remapped(cifar10_dir):
    five = Task("five-way", 5, (3, 32, 32))
    with pytest.raises(HarnessError, match=r"task 'five-way' has 5 classes.*input.labels"):
        load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=40), five)
    kept = load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=4, labels="filter"), five)
    assert int(kept.targets.max()) < 5 and kept.spec.endswith(",labels<5)")
    full = load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=40), C10)
    mod = load_batch(InputConfig(kind="cifar10", path=cifar10_dir, batch_size=40, labels="modulo"), five)
    assert mod.targets.tolist() == [y % 5 for y in full.targets.tolist()] and mod.spec.endswith(",labels%5)")
    assert torch.equal(mod.inputs, full.inputs)


def test_targets_follow_the_tasks_output_kind():
    recon = load_batch(InputConfig(kind="noise", batch_size=3), RECON)
    assert recon.targets is recon.inputs and recon.no_targets == ""
    reg = load_batch(InputConfig(kind="noise", batch_size=3), REGRESSION)
    assert reg.targets is None and "no regression targets" in reg.no_targets


class Checkerboard(DataSource):
    """A test source: ±1 checkerboards of the task's shape, label = item index mod 2."""

    name = "checkerboard"
    version = "1"
    summary = "test checkerboards"

    def load(self, request: BatchRequest) -> SourceBatch:
        c, h, w = request.task.input_shape
        board = np.where((np.add.outer(np.arange(h), np.arange(w)) % 2) == 0, 1.0, -1.0).astype(np.float32)
        x = np.stack([np.broadcast_to(board * (i + 1), (c, h, w)) for i in range(request.batch_size)])
        return SourceBatch(
            inputs=x,
            labels=np.arange(request.batch_size) % 2,
            label="checkerboard",
            where="generated",
            targets=None,
        )


@pytest.fixture
def checker_host():
    module = types.ModuleType("checker_plugin")
    module.nas_harness_data_sources = hookimpl(lambda: [Checkerboard])
    host = PluginHost.discover(extra=[("data_source", module, "checker-dist")])
    assert not [w for w in host.warnings if "checker" in w]
    return host


def test_a_plugin_contributes_a_data_source_through_the_hook(checker_host):
    sources = checker_host.data_sources()
    assert {"cifar10", "cifar100", "imagenet16", "npz", "noise", "checkerboard"} <= set(sources)
    assert checker_host.get("data_source", "checkerboard").distribution == "checker-dist"
    batch = load_batch(InputConfig(kind="checkerboard", batch_size=4), C10, sources=sources)
    assert batch.spec == "checkerboard(bs=4,s=42)" and batch.targets.tolist() == [0, 1, 0, 1]
    assert float(batch.inputs[2, 0, 0, 0]) == 3.0 and float(batch.inputs[2, 0, 0, 1]) == -3.0
    with pytest.raises(HarnessError, match="no such data source; known: auto, checkerboard, cifar10"):
        load_batch(InputConfig(kind="chequerboard"), C10, sources=sources)


def toy_run(kind: str, proxies: list[str], **extra) -> dict:
    return {
        "space": {"name": "nb201"},
        "dataset": "ImageNet16-120",
        "proxies": proxies,
        "sample": {"n": 3, "seed": 0},
        "input": {"kind": kind, "batch_size": 4, **extra},
        "executor": "inline",
        "bootstrap": 0,
        "ceiling": "off",
    }


def test_scoring_with_a_source_other_than_the_tasks_data(checker_host, tmp_path, cifar10_dir):
    from nas_harness.runner import compute_run

    run = compute_run(
        toy_run("checkerboard", ["naswot"]), store_path=tmp_path / "s.sqlite", host=checker_host
    ).run
    row = run.results[0]
    assert run.input["kind"] == "checkerboard" and row.input_kind == "checkerboard" and row.n_failed == 0
    fields = row.signature_fields
    assert fields.input == "checkerboard(bs=4,s=42)" and fields.input_source == "checkerboard"
    assert fields.task == "ImageNet16-120" and fields.target.startswith("ImageNet16-120/")
    assert f"|input:{fields.input}|" in row.signature
    resized = compute_run(
        toy_run("cifar10", ["naswot"], path=str(cifar10_dir), resize="area"),
        store_path=tmp_path / "s.sqlite",
        host=checker_host,
    ).run.results[0]
    assert (
        resized.signature_fields.input == "cifar10[train](bs=4,s=42,resize=16x16:area)"
        and resized.n_failed == 0
    )
    assert resized.signature_fields.target == fields.target  # same target, another input


def test_signatures_are_typed_in_results_and_render_the_stored_line(tmp_path):
    from nas_harness.runner import compute_run, write_run

    outcome = compute_run(
        toy_run("noise", ["params"]) | {"dataset": "cifar10"}, store_path=tmp_path / "s.sqlite"
    )
    path, _ = write_run(outcome, tmp_path)
    stored = json.loads(path.read_text())["results"][0]
    fields = Signature(**stored["signature_fields"])
    assert fields.render() == stored["signature"] and fields.task == "cifar10" and fields.proxy == "params"
    info = outcome.run.oracle
    v1 = "|".join(
        [
            f"proxy:params@{stored['version']}",
            f"space:nb201@{fields.space.split('@')[1]}",
            f"target:{info.dataset}/{info.split}"
            + (f"@{info.epochs}ep" if info.epochs else "")
            + f"({info.seed_aggregation})",
            f"oracle:{info.oracle}",
            "sample:random(n=3,s=0)",
            "input:unused(bs=4,s=42)",
            "init:kaiming_uniform(s=42)",
            f"harness:{__version__}",
        ]
    )
    assert stored["signature"] == v1  # the v1 line, character for character
    tampered = json.loads(path.read_text())
    tampered["results"][0]["signature"] = v1.replace("n=3", "n=4")
    tampered.pop("checksum")
    with pytest.raises(ValueError, match="signature_fields render to"):
        RunResult.model_validate(tampered)


@pytest.mark.slow
def test_the_ci_baseline_run_keeps_its_signatures_and_scores(shared_data, tmp_path, monkeypatch):
    """Re-run the committed CI baseline's config (params, naswot): same lines but the harness
    version, and naswot's scores equal bit for bit (the input batch is unchanged)."""
    import pandas as pd

    from nas_harness.leaderboard.check import protocol_part
    from nas_harness.leaderboard.schema import load_results
    from nas_harness.runner import compute_run

    base = load_results(REPO / "benchmarks" / "baselines" / "ci.json")
    config = dict(
        base.config,
        proxies=[p for p in base.config["proxies"] if p["name"] in ("params", "naswot")],
        executor="inline",
        bootstrap=0,
        ceiling="off",
    )
    config["oracle"] = dict(
        config["oracle"],
        config=dict(
            config["oracle"]["config"], path=str(shared_data / "nb201" / "nats_tss_test_acc_200ep.csv")
        ),
    )
    config["input"] = dict(config["input"], path=str(shared_data / "images" / "cifar10_sample.npz"))
    if not Path(config["oracle"]["config"]["path"]).is_file():
        pytest.skip("the NB201 table is absent")
    outcome = compute_run(config, store_path=tmp_path / "s.sqlite")
    old = {r.proxy: r.signature for r in base.results}
    for row in outcome.run.results:
        assert protocol_part(row.signature) == protocol_part(old[row.proxy])
        assert row.signature.split("|")[0] == old[row.proxy].split("|")[0]
    scores = pd.read_csv(REPO / "benchmarks" / "baselines" / base.scores_file)
    frame = outcome.scores_frame()
    assert list(frame["arch"]) == list(scores["arch"])
    assert np.array_equal(frame["naswot"].to_numpy(), scores["naswot"].to_numpy())


def test_a_bad_input_kind_on_the_command_line_exits_2(tmp_path, monkeypatch, capsys):
    from nas_harness.cli import main

    monkeypatch.setenv("NASH_STORE", str(tmp_path / "s.sqlite"))
    code = main(
        [
            "run",
            "--space",
            "nb201",
            "--proxies",
            "params",
            "--n",
            "2",
            "--input-kind",
            "imagenet",
            "--out",
            str(tmp_path),
            "--executor",
            "inline",
            "--quiet",
        ]
    )
    assert code == 2 and "input.kind 'imagenet': no such data source" in capsys.readouterr().err
    assert sys.modules.get("nas_harness.plugins.data.builtin") is not None
