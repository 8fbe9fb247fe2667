"""Where a run writes: the checkpoint directory is checked before anything else, disk
problems end in one clear line with finished work kept, and temporary files live in
``tmp_dir`` (or a private directory) and are gone afterwards."""

from __future__ import annotations

import errno
import json
import tempfile
from pathlib import Path

import pytest
from support import experiment

from omnirec_core import NDCG, Coordinator, Evaluator, ExperimentPlan
from omnirec_core.orchestration import splitfiles
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter


def _fit_info(ckpt: Path) -> list[dict]:
    return [json.loads(p.read_text())["info"] for p in ckpt.rglob("fit.json")]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("file", "is a file, not a directory"),
        ("under-file", "a part of the path is a file"),
        ("proc", "cannot create checkpoint_dir /proc/"),
    ],
)
def test_an_unusable_checkpoint_dir_is_one_clear_line(tmp_path: Path, where: str, message: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    path = {"file": blocker, "under-file": blocker / "ck", "proc": Path("/proc/omnirec-ck")}[where]
    with pytest.raises(SystemExit) as err:
        Coordinator(path, env_manager=CurrentInterpreter(), quiet=True)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_full_disk_is_one_clear_line_and_finished_jobs_are_kept(
    checkpoint_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = ExperimentPlan("one")
    p.add_algorithm("Fake.Pop")
    experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])))
    done = sorted(checkpoint_dir.rglob("metrics.json"))

    def full(directory: Path, columns: dict) -> dict:
        raise OSError(errno.ENOSPC, "No space left on device", str(directory / "user.npy"))

    monkeypatch.setattr(splitfiles, "write_columns", full)
    other = experiment.dataset(seed=2)  # new split files to write
    with pytest.raises(SystemExit) as err:
        experiment.run(checkpoint_dir, ds=other, p=p, evaluator=Evaluator(NDCG([10])))
    text = str(err.value)
    assert "no space left on device while writing" in text and "user.npy" in text
    assert "free space and re-run: finished jobs are kept" in text
    assert sorted(checkpoint_dir.rglob("metrics.json")) == done


def test_temporary_files_go_to_tmp_dir_and_are_removed(checkpoint_dir: Path, tmp_path: Path) -> None:
    given = tmp_path / "mytmp"
    p = ExperimentPlan("one")
    p.add_algorithm("Fake.Pop")
    experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])), tmp_dir=given)
    (info,) = _fit_info(checkpoint_dir)
    assert Path(info["tmpdir"]).is_relative_to(given)  # the runner's TMPDIR
    assert given.is_dir() and not any(given.iterdir())  # what the run put there is gone


def test_the_private_tmp_dir_is_removed_also_after_an_error(
    checkpoint_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real = tempfile.mkdtemp

    def spy(*args: object, **kwargs: object) -> str:
        path = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(path)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", spy)

    class Boom:
        def run(self, units: object, emit: object) -> None:
            raise RuntimeError("executor broke")

        def cancel(self) -> None:
            pass

    with pytest.raises(RuntimeError, match="executor broke"):
        experiment.run(checkpoint_dir, executor=Boom())
    run_dirs = [m for m in made if "omnirec-run-" in m]
    assert run_dirs and not any(Path(m).exists() for m in run_dirs)


def test_in_place_runners_keep_the_callers_environment(
    checkpoint_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    extra = tmp_path / "extra-packages"
    extra.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(extra))
    p = ExperimentPlan("one")
    p.add_algorithm("Fake.Pop")
    experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])))
    (info,) = _fit_info(checkpoint_dir)
    assert info["pythonpath"] == str(extra)


def test_isolated_runners_see_only_their_env_and_get_a_scratch_dir(tmp_path: Path) -> None:
    from omnirec_core.orchestration.units import UnitSpec, runner_env

    spec = UnitSpec(runner="Fake", worker_module="m", python="python", jobs=[])
    env = runner_env(spec, tmp_path)
    assert env["PYTHONPATH"] is None and env["TMPDIR"] == str(tmp_path)
    assert "PYTHONPATH" not in runner_env(
        UnitSpec(runner="Fake", worker_module="m", python="p", jobs=[], isolated=False)
    )


def test_the_device_a_job_ran_on_is_recorded(checkpoint_dir: Path) -> None:
    p = ExperimentPlan("one")
    p.add_algorithm("Fake.Pop")
    experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])), device="cuda")
    (record,) = [json.loads(p.read_text()) for p in checkpoint_dir.rglob("job.json")]
    # Asked for a GPU, but the numpy-only fake runner never initialised CUDA.
    assert record["device"] == {"device_requested": "cuda", "device": "cpu"}


def test_a_process_that_initialised_cuda_reports_its_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from omnirec_core.runner.serve import device_used

    cuda = types.SimpleNamespace(
        is_initialized=lambda: True, current_device=lambda: 0, get_device_name=lambda i: "NVIDIA H200"
    )
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    assert device_used("cuda") == {"device": "cuda:0", "gpu": "NVIDIA H200"}
    cuda.is_initialized = lambda: False
    assert device_used("cuda") == {"device": "cpu"}
