"""``pip install`` of the omnirec distribution (one path) into a fresh venv registers the
three default runners, without any framework in the user's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import json
from omnirec_core.plugin.manager import get_runner, get_runners
from omnirec.runner.algos import LensKit, RecBole, RecPack
from omnirec.runner.coordinator import Coordinator
try:
    get_runner("Cornac")
    hint = ""
except Exception as exc:
    hint = str(exc)
print(json.dumps({"runners": sorted(get_runners()), "enums": [LensKit.ItemKNNScorer.value, RecBole.BPR.value,
      RecPack.EASE.value], "coordinator": Coordinator.__module__, "hint": hint}))
"""


def test_one_path_installs_the_core_and_the_three_default_runners(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("OMNIREC_DISABLE_PLUGINS", "PYTHONPATH")}
    env["PYTHONWARNINGS"] = "ignore"  # setuptools' build banners
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT / "packages" / "omnirec")],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    # Run outside the checkout, so only what was installed can be imported.
    out = subprocess.run(
        [str(python), "-c", CHECK], check=True, env=env, cwd=tmp_path, capture_output=True, text=True
    )
    import json

    found = json.loads(out.stdout)
    assert found["runners"] == ["LensKit", "RecBole", "RecPack"]
    assert found["enums"] == ["LensKit.ItemKNNScorer", "RecBole.BPR", "RecPack.EASE"]
    assert found["coordinator"] == "omnirec_core.orchestration.coordinator"
    assert "runner 'Cornac' is not installed: it comes with the omnirec-cornac distribution" in found["hint"]
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert {"omnirec", "omnirec-core", "omnirec-lenskit", "omnirec-recbole", "omnirec-recpack"} <= names
    # The frameworks live in their runner envs, never in the user's environment.
    assert not {"lenskit", "recbole", "recpack", "torch"} & names
    cli = subprocess.run(
        [str(venv / "bin" / "omnirec"), "plugins"],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "omnirec-recbole" in cli.stdout
