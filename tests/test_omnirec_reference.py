"""OmniRec's documented API, run unchanged on ML-100K with LensKit, RecBole and RecPack.

The first test is the reference-style example: OmniRec's import paths, the dataset by
OmniRec's name, ``Pipe(MakeImplicit(3), CorePruning(5), UserHoldout(0.15, 0.15))``, one
algorithm from each framework through the enums, ``Coordinator().run(...)`` and
``get_tables()``. The second runs the worked example of docs/migrating-from-omnirec.md
(OmniRec's own "Running Experiments with Evaluation" example) as a script, unchanged.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("omnirec_lenskit", "omnirec_recbole", "omnirec_recpack")


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_cache_dir: Path) -> Path:
    """A fresh working directory (checkpoints land in ./checkpoints), the shared test envs."""
    for module in FRAMEWORKS:
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMNIREC_ENV_DIR", str(env_cache_dir))
    return tmp_path


def test_reference_style_example_runs_the_three_default_runners(user_dir: Path) -> None:
    from omnirec import RecSysDataSet
    from omnirec.metrics.ranking import NDCG, Recall
    from omnirec.preprocess.core_pruning import CorePruning
    from omnirec.preprocess.feedback_conversion import MakeImplicit
    from omnirec.preprocess.pipe import Pipe
    from omnirec.preprocess.split import UserHoldout
    from omnirec.runner.algos import LensKit, RecBole, RecPack  # type: ignore[attr-defined]
    from omnirec.runner.coordinator import Coordinator
    from omnirec.runner.evaluation import Evaluator
    from omnirec.runner.plan import ExperimentPlan
    from omnirec.util.util import set_random_state

    set_random_state(42)
    dataset = RecSysDataSet.use_dataloader("MovieLens100K")
    dataset = Pipe(MakeImplicit(3), CorePruning(5), UserHoldout(0.15, 0.15)).process(dataset)
    plan = ExperimentPlan(plan_name="reference")
    plan.add_algorithm(LensKit.ItemKNNScorer, {"max_nbrs": [20, 30]})
    plan.add_algorithm(RecBole.BPR, algorithm_config={"epochs": 10, "learning_rate": 0.005})
    plan.add_algorithm(RecPack.ItemKNN)
    evaluator = Evaluator(NDCG([5, 10]), Recall([10]))

    assert Coordinator().run(dataset, plan, evaluator) is evaluator

    assert evaluator.failures == []
    tables = evaluator.get_tables()
    assert len(tables) == 1 and tables[0].row_count == 4
    res = evaluator.get_results()
    assert set(res["algorithm"]) == {"LensKit.ItemKNNScorer", "RecBole.BPR", "RecPack.ItemKNN"}
    ndcg10 = res[(res["metric"] == "NDCG") & (res["k"] == 10)].set_index("algorithm")["value"]
    assert (ndcg10 > 0.05).all() and (ndcg10 < 0.6).all()
    assert set(res["metric"]) == {"NDCG", "RecallCapped"}
    assert (user_dir / "checkpoints").is_dir() and len(list(user_dir.glob("checkpoints/*/*/job.json"))) == 4


def worked_example() -> str:
    """The Python block under '## Worked example' in docs/migrating-from-omnirec.md."""
    text = (ROOT / "docs" / "migrating-from-omnirec.md").read_text()
    section = text.split("## Worked example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_documented_worked_example_runs_unchanged(user_dir: Path) -> None:
    code = worked_example()
    assert "from omnirec.util.run import run_omnirec" in code and "omnirec_core" not in code
    (user_dir / "example.py").write_text(code)
    env = {**os.environ, "COLUMNS": "120"}
    out = subprocess.run(
        [sys.executable, "example.py"], cwd=user_dir, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RecBole.BPR" in out.stdout and "NDCG@10" in out.stdout and "RecallCapped@10" in out.stdout
