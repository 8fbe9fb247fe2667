"""The runner's start time is recorded per job and shown by ``omnirec status``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from omnirec_core.cli.run import status_cmd
from tests.support import experiment


def test_start_time_in_job_records_and_status(checkpoint_dir: Path) -> None:
    experiment.run(checkpoint_dir)
    starts: dict[str, set[float]] = {}
    for path in checkpoint_dir.rglob("job.json"):
        rec = json.loads(path.read_text())
        starts.setdefault(rec["algorithm"], set()).add(rec["timings"]["runner_start_s"])
    assert set(starts) == {"Fake.Pop", "Fake.ItemCF"}
    for algorithm, values in starts.items():
        # One runner per algorithm: every job it served records the same start.
        assert len(values) == 1, (algorithm, values)
        assert next(iter(values)) > 0
    out = CliRunner().invoke(status_cmd, [str(checkpoint_dir)], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "runner start" in out.output
