"""The RecBole runner's torch top-k gives exactly the SDK's ``topk_from_scores`` rows."""

from __future__ import annotations

import subprocess

import pytest
from recbole_testdata import env_python

pytestmark = pytest.mark.integration

SCRIPT = """
import numpy as np, torch
from omnirec_core.runner import Interactions, UserIndex, topk_from_scores
from omnirec_recbole.ranking import topk_rows

for seed in range(20):
    rng = np.random.default_rng(seed)
    n, m = 17, 40
    block = rng.integers(0, 5, (n, m)).astype(np.float32)  # many ties
    block[rng.random(block.shape) < 0.05] = np.nan
    block[rng.random(block.shape) < 0.05] = np.inf
    block[rng.random(block.shape) < 0.05] = -np.inf
    users = rng.permutation(60)[:n]
    train = Interactions(rng.integers(0, 60, 300), rng.integers(0, m, 300))
    exclude = UserIndex(train, 60) if seed % 2 else None
    for k in (1, 5, 39, 40, 50):
        want = topk_from_scores(block.astype(np.float64), users, k, exclude)
        got = topk_rows(torch.from_numpy(block), users, k, exclude)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and np.array_equal(g, w), (seed, k)
print("same")
"""


def test_torch_topk_equals_the_sdk() -> None:
    out = subprocess.run([str(env_python()), "-c", SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")
