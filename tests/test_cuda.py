"""The CUDA path: every installed proxy scores an NB201 cell on the GPU, through the engine's
scoring and through `nash run --device cuda`. Skipped, with the reason, where no GPU exists."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="no CUDA device here (torch.cuda.is_available() is False)"
    ),
]

ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|"
CHECKED_ON_CPU = {"params", "flops", "synflow", "logsynflow", "l2_norm", "snip", "grad_norm"}


def test_every_proxy_scores_an_nb201_cell_on_the_gpu_like_on_the_cpu():
    import numpy as np

    from nas_harness.api import Combinator, TrainableProxy
    from nas_harness.host import PluginHost
    from nas_harness.inputs import InputConfig, load_batch
    from nas_harness.scoring import ProxyJob, ScoringSetup, score_arch

    host = PluginHost.discover()
    space = host.get("space", "nb201").cls()
    batch = load_batch(InputConfig(batch_size=16), space.dataset("cifar10"))
    classes = [host.get("proxy", name).cls for name in host.names("proxy")]
    jobs = [ProxyJob(cls()) for cls in classes if not issubclass(cls, (Combinator, TrainableProxy))]
    assert len(jobs) >= 20  # every built-in proxy that scores on its own

    def scores(device: str, jobs) -> dict:
        setup = ScoringSetup(
            space=space, dataset="cifar10", batch=batch, input_spec=batch.spec, device=device
        )
        return {job.name: score_arch(setup, ARCH, [job])[0][1] for job in jobs}

    gpu = scores("cuda", jobs)
    cpu = scores("cpu", [j for j in jobs if j.name in CHECKED_ON_CPU])  # cheap ones: values must agree
    for name, rec in gpu.items():
        assert rec.status in ("ok", "na"), (name, rec.reason)
        if rec.status == "ok":
            assert math.isfinite(rec.value), name
        if name in cpu:
            assert cpu[name].status == rec.status and np.isclose(rec.value, cpu[name].value, rtol=1e-3), (
                name,
                rec.value,
                cpu[name].value,
            )


def test_nash_run_with_device_cuda_scores_and_records_the_device(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nas_harness.cli",
            "run",
            "--proxies",
            "synflow,snip,naswot",
            "--n",
            "5",
            "--bootstrap",
            "0",
            "--device",
            "cuda",
            "--executor",
            "inline",
            "--threads",
            "1",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(next(out.glob("correlation-*.json")).read_text())
    assert "cuda" in json.dumps(results)
