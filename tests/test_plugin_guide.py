"""The plugin guide's example works as the guide says: install it, discover it, run it.

The example is pip-installed (editable, as the guide tells plugin authors to do) into a
throwaway virtualenv that sees the test interpreter's packages (omnirec-core from this
checkout). Inside that venv a script finds the runner through the plugin manager,
builds its runner env in the shared test env cache, and serves a real fit and predict
over the wire protocol.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugin-minimal"

GUIDE = ROOT / "docs" / "plugin-guide.md"

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    import numpy as np

    from omnirec_core.orchestration.envs.manager import EnvManager
    from omnirec_core.plugin.manager import get_plugin_manager
    from omnirec_core.orchestration.runner_process import RunnerProcess
    from omnirec_core.runner import read_columns, write_columns

    env_dir, work = sys.argv[1], Path(sys.argv[2])
    provided = get_plugin_manager().runners()["Minimal"]
    spec = provided.spec
    env = EnvManager(env_dir).ensure(spec)

    train = write_columns(work / "train", {"user": np.array([0, 0, 1, 2, 2, 2]),
                                           "item": np.array([0, 1, 1, 1, 2, 3])})
    users = write_columns(work / "users", {"user": np.array([0, 1])})
    common = {"algorithm": "MostPop", "config": {}, "seed": 1, "job_dir": str(work / "job"),
              "n_users": 3, "n_items": 4, "feedback": "implicit", "device": "cpu",
              "threads": 1, "data": {"train": train}}
    with RunnerProcess(spec.name, env.python, spec.worker_module, log_dir=work / "logs") as proc:
        hello = proc.hello  # __enter__ started it and checked its hello
        fit = proc.call("fit", common)
        pred = proc.call("predict", {**common, "k": 2, "exclude_train": True, "users": users,
                                     "pairs": None, "out_dir": str(work / "out")})
    topk = read_columns(pred["topk"])
    print(json.dumps({
        "plugin": provided.plugin, "distribution": provided.distribution,
        "env": str(env.path), "env_python": env.python_version, "freeze": env.freeze, "install_self": env.inputs["install_self"],
        "hello": hello, "fit": fit["info"],
        "topk": {k: v.tolist() for k, v in topk.items()},
    }))
""")


@pytest.mark.parametrize("module", ["plugin.py", "worker.py"])
def test_guide_shows_the_example_code_verbatim(module: str) -> None:
    source = (EXAMPLE / "omnirec_minimal" / module).read_text()
    code = source.split('"""\n', 1)[1].lstrip("\n")  # without the module docstring
    assert f"```python\n{code.rstrip()}\n```" in GUIDE.read_text()


@pytest.fixture(scope="module")
def guide_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv that sees this interpreter's packages, plus the example (editable)."""
    import sysconfig

    import virtualenv

    venv = tmp_path_factory.mktemp("guide") / "venv"
    session = virtualenv.cli_run(
        [
            str(venv),
            "--python",
            sys.executable,
            "--no-setuptools",
            "--no-periodic-update",
            "--activators",
            "",
            "--quiet",
        ],
        setup_logging=False,
    )
    # --system-site-packages would give the *base* interpreter's packages, not those of
    # the venv running the tests (CI); addsitedir also runs their .pth editable hooks.
    parents = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in parents)
    (Path(session.creator.purelib) / "_omnirec_test_parent.pth").write_text(lines)
    python = venv / "bin" / "python"
    out = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(EXAMPLE)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return python


@pytest.mark.slow
def test_example_entry_point_is_discovered(guide_venv: Path) -> None:
    code = (
        "from omnirec_core.plugin.manager import get_plugin_manager\n"
        "pm = get_plugin_manager(); p = pm.runners()['Minimal']\n"
        "print(p.plugin, p.distribution, p.spec.worker_module, [a.name for a in p.spec.algorithms])\n"
        "print([p for p in pm.problems if p.plugin == 'minimal'])\n"
    )
    out = subprocess.run([str(guide_venv), "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "minimal omnirec-minimal omnirec_minimal.worker ['MostPop']",
        "[]",
    ]


@pytest.mark.slow
def test_example_own_tests_pass(guide_venv: Path) -> None:
    out = subprocess.run(
        [str(guide_venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark", "tests"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout


@pytest.mark.slow
def test_example_env_builds_and_serves_fit_predict(
    guide_venv: Path, env_cache_dir: Path, tmp_path: Path
) -> None:
    out = subprocess.run(
        [str(guide_venv), "-c", SCRIPT, str(env_cache_dir), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert (got["plugin"], got["distribution"]) == ("minimal", "omnirec-minimal")
    assert Path(got["env"]).parent == env_cache_dir
    # Both self-installed distributions come from their source trees, editable.
    # (pip freeze names a git checkout by its remote, so the recorded inputs are checked.)
    targets = {d["dist"]: (d["source"], d["target"]) for d in got["install_self"]}
    assert targets == {"omnirec-core": ("editable", str(ROOT)), "omnirec-minimal": ("editable", str(EXAMPLE))}
    assert "omnirec" in got["freeze"] and "msgpack==" in got["freeze"]
    assert got["hello"]["runner"] == "Minimal"
    assert got["hello"]["framework_version"].startswith("numpy ")
    assert got["fit"]["items_seen"] == 4 and got["fit"]["handler_s"] >= 0
    # item 1 is the most popular (3); ties (1 each) break by item id; seen items are skipped
    assert got["topk"]["user"] == [0, 0, 1, 1]
    assert got["topk"]["item"] == [2, 3, 0, 2]
    assert got["topk"]["rank"] == [1, 2, 1, 2]
