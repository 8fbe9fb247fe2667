"""RecBole through the full Coordinator on ML-100K made implicit: sanity and restart."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnirec_core import NDCG, Evaluator, Recall, set_random_state
from omnirec_core.orchestration.journal import Journal

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def test_models_through_the_coordinator(ml100k_implicit, run_coordinator, tmp_path: Path) -> None:
    algos = {
        "RecBole.Pop": {},
        "RecBole.ItemKNN": {},
        "RecBole.EASE": {"reg_weight": 250.0},
        "RecBole.BPR": {"epochs": 15, "learning_rate": 0.005},
        "RecBole.LightGCN": {"epochs": 3, "learning_rate": 0.01},
        "RecBole.MultiVAE": {"epochs": 10, "train_batch_size": 128},
    }
    ev = run_coordinator(tmp_path / "ck", ml100k_implicit, algos, Evaluator(NDCG([10]), Recall([10])))
    res = ev.get_results()
    ndcg = res[res.metric == "NDCG"].set_index("algorithm")["value"]
    assert set(ndcg.index) == set(algos)
    for name in ("ItemKNN", "EASE", "BPR"):
        assert ndcg[f"RecBole.{name}"] > ndcg["RecBole.Pop"], name
    assert (tmp_path / "ck").is_dir() and not list(Path.cwd().glob("log*"))  # RecBole wrote nothing here


def test_killed_after_fit_predicts_from_the_saved_model(
    ml100k_implicit, run_coordinator, tmp_path: Path
) -> None:
    ckpt = tmp_path / "ck"
    plan = {"RecBole.BPR": {"epochs": 3}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.run_plan", str(ckpt), json.dumps(plan)],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 900
        while time.time() < deadline and not list(ckpt.rglob("fit.json")) and proc.poll() is None:
            time.sleep(0.05)
        assert list(ckpt.rglob("fit.json")), "fit never finished"
        proc.send_signal(signal.SIGKILL)  # the coordinator only; its runner notices and exits
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    fit = next(ckpt.rglob("fit.json"))
    fit_mtime = fit.stat().st_mtime_ns
    n_events = len(Journal(ckpt).read())
    # The global seed is part of the job keys: the one tests.support.run_plan used, not
    # whatever an earlier test of this session left behind.
    set_random_state(42)
    ev = run_coordinator(ckpt, ml100k_implicit, plan, Evaluator(NDCG([10])))
    assert ev.get_results()["value"].iloc[0] > 0
    assert fit.stat().st_mtime_ns == fit_mtime
    later = Journal(ckpt).read()[n_events:]
    assert not [e for e in later if e["phase"] == "fit" and e["event"] == "started"]
    assert [e for e in later if e["phase"] == "predict" and e["event"] == "done"]
