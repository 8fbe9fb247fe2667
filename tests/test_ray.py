"""The Ray executor against a real local Ray head (``ray start --head`` on 127.0.0.1).

The head runs with token authentication; jobs are real Ray jobs whose entrypoint is
``omnirec worker run`` with the fake runner. The tests marked ``ray`` are skipped when
Ray is not installed (``pip install 'omnirec-core[ray]'``) or a head cannot start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omnirec_core.orchestration.executors.ray import RayExecutor
from omnirec_core.orchestration.units import UnitSpec, runner_env
from tests.test_slurm import fit_starts, run_plan, sorted_results, wait_for

ROOT = Path(__file__).resolve().parents[1]
HAVE_RAY = importlib.util.find_spec("ray") is not None
FAST = {"cpus": 1, "poll_interval": 0.3, "lost_grace": 1.0}
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="Ray is not installed: pip install 'omnirec-core[ray]'")


def state(ckpt: Path) -> list[dict[str, Any]]:
    return [
        s for f in sorted((ckpt / "units").glob("*/ray.json")) for s in json.loads(f.read_text())["subunits"]
    ]


def test_runner_env_strips_ray_variables_and_keeps_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    monkeypatch.setenv("RAY_AUTH_TOKEN", "secret")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    env = runner_env(
        UnitSpec(runner="Fake", worker_module="m", python="python", jobs=[], threads=2, env_vars={"X": "y"})
    )
    assert env["RAY_ADDRESS"] is None and env["RAY_AUTH_TOKEN"] is None  # removed for the runner
    assert "CUDA_VISIBLE_DEVICES" not in env  # inherited unchanged
    assert env["OMP_NUM_THREADS"] == "2" and env["X"] == "y"


def test_missing_ray_is_one_clear_error() -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from omnirec_core.orchestration.executors import RayExecutor\n"
        "try:\n    RayExecutor('http://127.0.0.1:1').client\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "RayMissing" in out.stdout and "pip install 'omnirec-core[ray]'" in out.stdout


def test_token_becomes_a_bearer_header() -> None:
    assert RayExecutor("http://h:8265", token="abc").headers == {"Authorization": "Bearer abc"}
    custom = RayExecutor("http://h:8265", token="abc", headers={"Authorization": "Basic xyz"})
    assert custom.headers == {"Authorization": "Basic xyz"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ray_head() -> Iterator[tuple[str, str]]:
    """(dashboard address, token) of a Ray head started for these tests, stopped after them."""
    if not HAVE_RAY:
        pytest.skip("Ray is not installed: pip install 'omnirec-core[ray]'")
    token = secrets.token_hex(16)
    dash = _free_port()
    temp = tempfile.mkdtemp(prefix="rt-", dir="/tmp")  # short: Ray's socket paths have a length limit
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, "RAY_USAGE_STATS_ENABLED": "0"}
    cmd = [
        str(Path(sys.executable).parent / "ray"),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={_free_port()}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dash}",
        "--num-cpus=2",
        "--num-gpus=0",
        "--object-store-memory=100000000",
        f"--temp-dir={temp}",
        "--disable-usage-stats",
    ]
    log = open(Path(temp) / "head.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{dash}"
    try:
        from ray.job_submission import JobSubmissionClient

        deadline = time.monotonic() + 180
        while True:
            try:
                JobSubmissionClient(address, headers={"Authorization": f"Bearer {token}"})
                break
            except Exception as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"a local Ray head could not start ({exc}); see {temp}/head.log")
                time.sleep(0.5)
        yield address, token
    finally:
        with_signal(proc, signal.SIGTERM, 5) or with_signal(proc, signal.SIGKILL, 30)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def with_signal(proc: subprocess.Popen[Any], sig: int, wait: float) -> bool:
    """Signal the head's whole process group; True once every process of it is gone."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def local_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    base = tmp_path_factory.mktemp("local")
    return {kind: sorted_results(run_plan(base / kind, kind)) for kind in ("mixed", "slow")}


@pytest.mark.ray
@needs_ray
def test_results_are_identical_to_a_local_run(
    ray_head: tuple[str, str], local_results: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    address, token = ray_head
    ckpt = tmp_path / "ck"
    ex = RayExecutor(address, token=token, bundle=3, **FAST)
    results = sorted_results(run_plan(ckpt, "mixed", ex))
    pd.testing.assert_frame_equal(results, local_results["mixed"])
    subs = state(ckpt)
    assert len(subs) == 4 and ex.submissions == 4  # one Ray job per sub-unit of <= 3 jobs
    for s in subs:
        sid = s["attempts"][0]["id"]
        assert sid.startswith("omnirec-") and sid.endswith("-1")
        done = json.loads((ckpt / "units" / s["spec"]).with_suffix(".done.json").read_text())
        assert done["engine_job_id"] == sid and done["versions"]["runner"] == "Fake"


@pytest.mark.ray
@needs_ray
def test_wrong_token_is_refused_clearly(ray_head: tuple[str, str], tmp_path: Path) -> None:
    address, _ = ray_head
    with pytest.raises(Exception, match="cannot reach the Ray cluster"):
        run_plan(tmp_path / "ck", "mixed", RayExecutor(address, token="wrong", **FAST))


@pytest.mark.ray
@needs_ray
def test_stopped_job_is_resubmitted(
    ray_head: tuple[str, str], local_results: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    import threading

    from ray.job_submission import JobSubmissionClient

    address, token = ray_head
    ckpt = tmp_path / "ck"
    ex = RayExecutor(address, token=token, bundle=1, max_in_flight=1, **FAST)
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(run_plan(ckpt, "slow", ex)), daemon=True)
    thread.start()

    def running() -> tuple[str, str] | None:
        for s in state(ckpt):
            ev = (ckpt / "units" / s["spec"]).with_suffix(".events.jsonl")
            if s["attempts"] and ev.exists() and "started" in ev.read_text():
                return s["spec"], s["attempts"][0]["id"]
        return None

    spec_key, sid = wait_for(running, "a Ray job to start its first job")
    JobSubmissionClient(address, headers={"Authorization": f"Bearer {token}"}).stop_job(sid)
    thread.join(300)
    assert not thread.is_alive() and out
    pd.testing.assert_frame_equal(sorted_results(out[0]), local_results["slow"])
    sub = next(s for s in state(ckpt) if s["spec"] == spec_key)
    assert [a["id"] for a in sub["attempts"]] == [sid, sid[:-1] + "2"]


@pytest.mark.ray
@needs_ray
def test_killed_coordinator_reattaches(
    ray_head: tuple[str, str], local_results: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    address, token = ray_head
    ckpt = tmp_path / "ck"
    opts = {**FAST, "bundle": 1, "max_in_flight": 6}
    code = (
        "import sys; from pathlib import Path; from tests.test_slurm import run_plan; "
        "from omnirec_core.orchestration.executors import RayExecutor; "
        f"run_plan(Path(sys.argv[1]), 'slow', RayExecutor({address!r}, token={token!r}, **{opts!r}), bound=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(ckpt)], cwd=ROOT)
    try:
        wait_for(lambda: fit_starts(ckpt) or proc.poll() is not None, "the first job to start")
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    (first,) = (ckpt / "units").glob("*/ray.json")
    ex = RayExecutor(address, token=token, **opts)
    results = sorted_results(run_plan(ckpt, "slow", ex))
    (later,) = [p for p in (ckpt / "units").glob("*/ray.json") if p != first]
    attached = json.loads(later.read_text())["subunits"]
    assert attached and all(s["spec"].startswith(first.parent.name + "/") for s in attached)
    pd.testing.assert_frame_equal(results, local_results["slow"])
    assert ex.submissions == 0
    starts = fit_starts(ckpt)
    assert len(starts) == 6 and set(starts.values()) == {1}
    assert Counter(len(s["attempts"]) for s in state(ckpt)) == Counter({1: len(state(ckpt))})


@pytest.mark.ray
@needs_ray
def test_requests_are_fitted_to_the_nodes_and_unplaceable_ones_reported(
    ray_head: tuple[str, str], tmp_path: Path
) -> None:
    from omnirec_core.orchestration.executors.cluster import ClusterError

    address, token = ray_head
    wait_for(lambda: RayExecutor(address, token=token).node_resources(), "the head to report its node")
    fitted = RayExecutor(address, token=token)
    fitted.check_request()
    assert fitted.cpus == 2 and "the largest node has 2" in fitted.request_note  # the head has 2 CPUs
    # More CPUs than any node has: refused before anything is submitted.
    big = RayExecutor(address, token=token, cpus=3, poll_interval=0.3)
    with pytest.raises(
        ClusterError, match=r"largest node has 2 CPUs, 0 GPUs and \d+ GiB memory; asked for cpus=3"
    ):
        run_plan(tmp_path / "big", "mixed", big)
    assert big.submissions == 0 and not state(tmp_path / "big")
    # A GPU unit on a cluster without GPUs: its jobs fail with the reason, nothing waits.
    gpu = RayExecutor(address, token=token, **FAST)
    ev = run_plan(tmp_path / "gpu", "mixed", gpu, device="cuda")
    assert ev.get_results().empty and len(ev.failures) == 8 and gpu.submissions == 0
    assert all("could never run on this cluster" in f.error and "gpus=1" in f.error for f in ev.failures)


@pytest.mark.ray
@needs_ray
def test_with_autoscaling_an_unplaceable_job_waits_visibly_until_cancelled(
    ray_head: tuple[str, str], tmp_path: Path
) -> None:
    import threading

    from ray.job_submission import JobSubmissionClient

    address, token = ray_head
    ckpt = tmp_path / "ck"
    ex = RayExecutor(address, token=token, cpus=3, autoscaling=True, bundle=8, poll_interval=0.3)
    thread = threading.Thread(target=lambda: run_plan(ckpt, "mixed", ex), daemon=True)
    thread.start()

    def pending() -> list[dict[str, Any]] | None:
        subs = state(ckpt)
        return subs if subs and all(s["attempts"][-1].get("state") == "PENDING" for s in subs) else None

    subs = wait_for(pending, "the Ray jobs to be recorded as pending")
    assert {s["attempts"][-1].get("reason") for s in subs} == {"waiting for resources"}
    ex.cancel()
    thread.join(300)
    assert not thread.is_alive()
    # Recorded as cancelled, so a re-run submits them again. (Ray cannot stop a job whose
    # supervisor was never placed: it stays PENDING until Ray fails it after
    # RAY_JOB_START_TIMEOUT_SECONDS, 15 minutes by default; a task that ran anyway would only repeat work.)
    client = JobSubmissionClient(address, headers={"Authorization": f"Bearer {token}"})
    for s in state(ckpt):
        assert "cancelled" in s["attempts"][-1]
        status = client.get_job_status(s["attempts"][-1]["id"])
        assert str(getattr(status, "value", status)) in ("PENDING", "STOPPED", "FAILED")
