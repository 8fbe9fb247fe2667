"""The runner's CPU time in job records counts the work of its finished child processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from omnirec_core.orchestration.units import _proc_usage


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_time_includes_finished_children() -> None:
    # A parent that spends next to nothing itself and has a child burn about 0.3 s of CPU.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "subprocess.run([sys.executable, '-c', "
            "'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.3: pass'])\n"
            "print('done', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "done"
        usage = _proc_usage(parent.pid)
        assert usage["cpu_s"] >= 0.25  # the child's 0.3 s (the parent alone spends far less)
        assert usage["peak_rss_mib"] > 0
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
