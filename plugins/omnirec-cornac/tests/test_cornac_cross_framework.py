"""One plan, five frameworks, one table: ``omnirec run`` on LensKit, RecPack, RecBole, implicit
and Cornac.

EASE has a closed form, so Cornac's EASE (``posB=false``: Steck's model, negative
weights kept), RecPack's EASE and LensKit's EASEScorer at the same regularisation must
rank alike, and the central evaluation must give them the same numbers; implicit's ALS
must clearly beat popularity on the same split.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnirec_core.orchestration.tree import load_checkpoint_results

pytestmark = pytest.mark.integration

PLAN = """\
name = "four-frameworks"
seed = 42

[dataset]
name = "ml-100k"

[[preprocess]]
step = "MakeImplicit"
threshold = 3

[split]
name = "UserHoldout"
test_size = 0.2

[evaluation]
metrics = ["NDCG@10", "Recall@10", "HR@10"]

[[algorithms]]
name = "LensKit.EASEScorer"
config = { regularization = 250.0 }

[[algorithms]]
name = "RecPack.EASE"
config = { l2 = 250.0 }

[[algorithms]]
name = "Cornac.EASE"
config = { lamb = 250.0, posB = false }

[[algorithms]]
name = "implicit.AlternatingLeastSquares"
config = { factors = 32, alpha = 5.0 }

[[algorithms]]
name = "implicit.Popularity"

[[algorithms]]
name = "Cornac.MostPop"

[[algorithms]]
name = "RecBole.Pop"
"""

EASE = ("LensKit.EASEScorer", "RecPack.EASE", "Cornac.EASE")


def test_one_plan_five_frameworks_one_table(env_cache_dir: Path, tmp_path: Path) -> None:
    for plugin in ("omnirec_lenskit", "omnirec_recpack", "omnirec_recbole", "omnirec_implicit"):
        pytest.importorskip(plugin)
    (tmp_path / "plan.toml").write_text(PLAN)
    ckpt = tmp_path / "ck"
    proc = subprocess.run(
        [sys.executable, "-m", "omnirec_core.cli", "run", str(tmp_path / "plan.toml"),
         "--checkpoint-dir", str(ckpt), "--quiet"],
        capture_output=True, text=True, env={**os.environ, "OMNIREC_ENV_DIR": str(env_cache_dir)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(proc.stdout)
    res = load_checkpoint_results(ckpt).get_results()
    table = res.pivot_table(index=["metric", "k"], columns="algorithm", values="value")
    assert set(table.columns) == {
        *EASE,
        "implicit.AlternatingLeastSquares",
        "implicit.Popularity",
        "Cornac.MostPop",
        "RecBole.Pop",
    }
    print(table.round(4).to_string())
    for name in EASE[1:]:  # the three EASE implementations agree on every metric
        assert (table[name] - table["LensKit.EASEScorer"]).abs().max() < 2e-3, name
    assert (table["Cornac.EASE"] > 0.2).all()
    ndcg = table.loc[("NDCG", 10)]
    assert ndcg["implicit.AlternatingLeastSquares"] > 1.5 * ndcg["implicit.Popularity"]
    # two frameworks' popularity baselines: same counts, same ties by item id
    assert abs(ndcg["Cornac.MostPop"] - ndcg["implicit.Popularity"]) < 1e-9
    # RecBole's Pop counts batches, sampled negatives included (docs/runners/recbole.md):
    # in the table, below exact popularity
    assert 0 < ndcg["RecBole.Pop"] < ndcg["implicit.Popularity"]
