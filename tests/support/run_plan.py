"""Run a plan on the shared ML-100K implicit split in a fresh process (restart tests).

    python -m tests.support.run_plan CHECKPOINT_DIR '{"Runner.Algo": {config}}'

Uses the same dataset, seed and env cache as the ``ml100k_implicit`` and
``env_manager`` fixtures, so its jobs are the jobs of an in-process run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from omnirec_core import NDCG, Evaluator, MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state
from omnirec_core.orchestration.envs.manager import EnvManager

if __name__ == "__main__":
    set_random_state(42)
    ds = Pipe(MakeImplicit(3), UserHoldout(0.2, 0.1)).process(RecSysDataSet.use_dataloader("ml-100k"))
    env_dir = Path(os.environ.get("OMNIREC_TEST_ENV_DIR") or Path.home() / ".cache/omnirec/test-envs")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from conftest import run_plan

    run_plan(Path(sys.argv[1]), ds, json.loads(sys.argv[2]), Evaluator(NDCG([10])), EnvManager(env_dir))
