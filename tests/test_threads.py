"""Every scoring process pins torch and all its BLAS/OpenMP pools in one call (harness/threads.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nas_harness.threads import THREAD_ENV_VARS, thread_env

PROBE = """
import json
from nas_harness.threads import pin_threads
pinned = pin_threads(3)
import torch
from threadpoolctl import threadpool_info
print(json.dumps({"torch": torch.get_num_threads(), "reported": [list(p) for p in pinned.pools],
                  "pools": [[p["user_api"], p["filepath"], p["num_threads"]] for p in threadpool_info()]}))
"""


def test_pin_threads_sets_torch_and_every_native_pool_numpy_scipy_and_torch_load():
    env = {
        k: v for k, v in os.environ.items() if k not in THREAD_ENV_VARS
    }  # unpinned: pools sized to the cores
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["torch"] == 3  # 3, not this machine's core count: the pin, not a default
    assert seen["pools"], "threadpoolctl found no BLAS/OpenMP library (numpy and torch load one each)"
    assert {p[2] for p in seen["pools"]} == {3}, seen["pools"]
    assert {p[2] for p in seen["reported"]} == {3}


def test_thread_env_sizes_every_library_a_worker_may_load():
    env = thread_env(2)
    assert set(env) == set(THREAD_ENV_VARS) and set(env.values()) == {"2"}
    assert {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"} <= set(env)
