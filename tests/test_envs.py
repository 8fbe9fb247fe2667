"""Runner envs: keys, the ready/half-built rules, real builds, locking, failures, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnirec_core.cli.envs import envs_group
from omnirec_core.errors import PluginError
from omnirec_core.orchestration.envs import manager as envs_mod
from omnirec_core.orchestration.envs.manager import (
    MARKER,
    USED_FILE,
    EnvBuildError,
    EnvError,
    EnvManager,
    resolve_self_install,
)
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.manager import PluginManager, reset_plugins
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec

ROOT = Path(__file__).resolve().parents[1]


def tiny(name: str = "EnvTest", **kw) -> RunnerSpec:
    """A runner whose env holds only what every worker needs (msgpack, numpy, core)."""
    kw.setdefault("worker_module", "omnirec_core.runner.api")
    return RunnerSpec(name=name, algorithms=(AlgorithmSpec("Pop"),), **kw)


@pytest.fixture(autouse=True)
def _no_user_env_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OMNIREC_PIP_OPTIONS", "OMNIREC_PIP_CONSTRAINTS", "OMNIREC_ENV_DIR"):
        monkeypatch.delenv(var, raising=False)


# ---- keys and planning (no builds) ---------------------------------------------------


def test_key_ignores_requirement_order(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    a = mgr.plan(tiny(requirements=("scipy>=1.10", "numpy<2")))
    b = mgr.plan(tiny(requirements=(" numpy<2", "scipy>=1.10", "numpy<2")))
    assert a.key == b.key and a.dirname == b.dirname
    assert "msgpack>=1.0" in a.inputs["requirements"]


@pytest.mark.parametrize(
    "change",
    [
        {"requirements": ("numpy<2",)},
        {"python": "3.12"},
        {"pip_options": ("--prefer-binary",)},
        {"install_self": ()},
    ],
)
def test_key_changes_with_what_goes_in(tmp_path: Path, change: dict) -> None:
    mgr = EnvManager(tmp_path)
    assert mgr.plan(tiny()).key != mgr.plan(tiny(**change)).key


def test_key_changes_with_runner_name_and_dir_names_it(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    plan = mgr.plan(tiny("My Runner"))
    assert plan.dirname.startswith("my-runner-py3.11-")
    assert plan.key != mgr.plan(tiny("Other")).key


def test_pip_options_from_env_are_keyed_and_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = EnvManager(tmp_path).plan(tiny()).key
    monkeypatch.setenv("OMNIREC_PIP_OPTIONS", "--extra-index-url 'https://example.invalid/simple'")
    mgr = EnvManager(tmp_path, pip_options=["--prefer-binary"])
    plan = mgr.plan(tiny(pip_options=("--no-cache-dir",)))
    assert plan.inputs["pip_options"] == [
        "--no-cache-dir",
        "--prefer-binary",
        "--extra-index-url",
        "https://example.invalid/simple",
    ]
    assert plan.key != plain


def test_constraints_keyed_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cons = tmp_path / "constraints.txt"
    cons.write_text("numpy<2\n")
    monkeypatch.setenv("OMNIREC_PIP_CONSTRAINTS", str(cons))
    first = EnvManager(tmp_path).plan(tiny())
    cons.write_text("numpy<1.27\n")
    second = EnvManager(tmp_path).plan(tiny())
    assert first.inputs["constraints"]["path"] == str(cons)
    assert first.key != second.key
    cons.unlink()
    with pytest.raises(EnvError, match=r"constraints file .* does not exist"):
        EnvManager(tmp_path).plan(tiny())


def test_python_override_is_keyed(tmp_path: Path) -> None:
    plain = EnvManager(tmp_path).plan(tiny())
    pinned = EnvManager(tmp_path, python_overrides={"3.11": sys.executable}).plan(tiny())
    assert pinned.python_override == sys.executable and pinned.key != plain.key


def test_cache_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNIREC_ENV_DIR", str(tmp_path / "envs"))
    assert EnvManager().cache_dir == tmp_path / "envs"


def test_core_resolves_to_editable_source_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    # From the checkout, a stray omnirec_core.egg-info shadows the dist-info: same answer.
    for cwd in (ROOT, ROOT.parent):
        monkeypatch.chdir(cwd)
        install = resolve_self_install("omnirec-core")
        assert (install.source, Path(install.target)) == ("editable", ROOT)
        assert install.pip_args() == ["-e", str(ROOT)]


def test_direct_url_variants() -> None:
    f = envs_mod._from_direct_url
    vcs = f("x", "1.0", {"url": "https://h/r.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}})
    assert vcs.target == "git+https://h/r.git@abc"
    local = f("x", "1.0", {"url": "file:///src/x%20y", "dir_info": {}})
    assert (local.source, local.target) == ("path", "/src/x y")
    gone = f("x", "1.0", {"url": "file:///nowhere/x-1.0.whl", "archive_info": {}})
    assert gone.target == "x==1.0"
    remote = f("x", "1.0", {"url": "https://h/x-1.0.whl", "archive_info": {}})
    assert remote.target == "https://h/x-1.0.whl"


def test_missing_self_distribution_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EnvError, match="'omnirec-no-such-dist' must go into a runner env"):
        EnvManager(tmp_path).plan(tiny(install_self=("omnirec-no-such-dist",)))


def test_sources_override(tmp_path: Path) -> None:
    plan = EnvManager(tmp_path, sources={"omnirec-core": ROOT}).plan(tiny())
    assert plan.inputs["install_self"][0]["target"] == str(ROOT)
    with pytest.raises(EnvError, match="not a directory"):
        EnvManager(tmp_path, sources={"omnirec-core": tmp_path / "nope"}).plan(tiny())


def _half_built(mgr: EnvManager, spec: RunnerSpec) -> Path:
    """What a killed build leaves: an env dir with an interpreter but no marker."""
    path = mgr.path_for(spec)
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "python").symlink_to(sys.executable)
    (path / "leftover.txt").write_text("from a killed build")
    return path


def test_dir_without_marker_is_never_used(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    path = _half_built(mgr, tiny())
    assert mgr.find(tiny()) is None
    assert mgr.list_envs() == []
    assert mgr.incomplete() == [path]
    assert [r["state"] for r in mgr.describe([tiny()])] == ["incomplete"]
    assert [(i.path, i.reason) for i in mgr.prune()] == [(path, "half-built")]
    assert not path.exists()


def test_marker_with_other_key_is_not_used(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    path = _half_built(mgr, tiny())
    (path / MARKER).write_text(json.dumps({"format": 1, "key": "0" * 64, "runner": "EnvTest"}))
    assert mgr.find(tiny()) is None
    assert [e.path for e in mgr.list_envs()] == [path]  # listed, but never handed out
    assert [(r["state"], r["current"]) for r in mgr.describe([tiny("Other")])] == [("ready", False)]


def test_half_built_dir_being_built_is_left_alone(tmp_path: Path) -> None:
    import filelock

    mgr = EnvManager(tmp_path)
    path = _half_built(mgr, tiny())
    (tmp_path / ".locks").mkdir()
    with filelock.FileLock(str(tmp_path / ".locks" / f"{path.name}.lock")):
        # Held by "another builder": describe says so and prune keeps it.
        script = textwrap.dedent(f"""
            from omnirec_core.orchestration.envs.manager import EnvManager
            mgr = EnvManager({str(tmp_path)!r})
            print([r["state"] for r in mgr.describe([])], mgr.prune(0))
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "['building'] []", out.stderr
    assert path.exists()


# ---- CLI without builds ----------------------------------------------------------------


class _TinyPlugin:
    def __init__(self, *specs: RunnerSpec) -> None:
        self.specs = list(specs)

    @hookimpl
    def omnirec_runners(self) -> list[RunnerSpec]:
        return self.specs


@pytest.fixture
def tiny_runner():
    """Registers the tiny runner (and only it) with a fresh plugin manager."""
    pm = PluginManager(load_entry_points=False)
    pm.register(_TinyPlugin(tiny()), "envtest-plugin")
    reset_plugins(pm)
    yield tiny()
    reset_plugins()


def test_cli_list_shows_unbuilt_runner(tmp_path: Path, tiny_runner: RunnerSpec) -> None:
    result = CliRunner().invoke(envs_group, ["list", "--env-dir", str(tmp_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "EnvTest" in result.output and "not built" in result.output


def test_cli_build_unknown_runner(tmp_path: Path, tiny_runner: RunnerSpec) -> None:
    result = CliRunner().invoke(envs_group, ["build", "EnvTst", "--env-dir", str(tmp_path)])
    assert isinstance(result.exception, PluginError)
    assert "Did you mean 'EnvTest'" in str(result.exception)


def test_cli_remove_and_prune_half_built(tmp_path: Path, tiny_runner: RunnerSpec) -> None:
    mgr = EnvManager(tmp_path)
    path = _half_built(mgr, tiny())
    runner = CliRunner()
    result = runner.invoke(envs_group, ["remove", "Nothing", "--env-dir", str(tmp_path)])
    assert result.exit_code == 0 and "no env of runner 'Nothing'" in result.output
    result = runner.invoke(envs_group, ["prune", "--dry-run", "--env-dir", str(tmp_path)])
    assert result.exit_code == 0 and "half-built" in result.output and "dry run" in result.output
    assert path.exists()
    result = runner.invoke(envs_group, ["prune", "--env-dir", str(tmp_path)])  # no terminal to ask on
    assert result.exit_code == 2 and "pass --yes" in result.output and path.exists()
    result = runner.invoke(envs_group, ["prune", "--yes", "--env-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 env(s) removed" in result.output and not path.exists()


def _ready(mgr: EnvManager, name: str, *, used_days_ago: float | None, by: str = "") -> Path:
    """A ready-looking env dir (marker, interpreter link) last used that many days ago."""
    path = _half_built(mgr, tiny(name))
    (path / MARKER).write_text(
        json.dumps({"format": 1, "key": "0" * 64, "runner": name, "created": time.time() - 90 * 86400})
    )
    if used_days_ago is not None:
        (path / USED_FILE).write_text(json.dumps({"time": time.time() - used_days_ago * 86400, "by": by}))
    return path


def test_prune_goes_by_last_use_whoever_used_the_env(tmp_path: Path, tiny_runner: RunnerSpec) -> None:
    mgr = EnvManager(tmp_path)
    # Another checkout's env, used yesterday: not this installation's runner, but in use.
    other = _ready(mgr, "Theirs", used_days_ago=1, by="/other/venv (/other/checkout)")
    stale = _ready(mgr, "Stale", used_days_ago=45, by="/old/venv (/old/checkout)")
    never = _ready(mgr, "Never", used_days_ago=None)  # built 90 days ago, never used since
    rows = {r["runner"]: r for r in mgr.describe()}
    assert rows["Theirs"]["used_by"] == "/other/venv (/other/checkout)" and not rows["Theirs"]["current"]
    planned = {i.path: i.reason for i in mgr.prune(dry_run=True)}
    assert set(planned) == {stale, never}
    assert planned[stale] == "unused for 45 days (last by /old/venv (/old/checkout))"
    assert all(p.exists() for p in (other, stale, never))  # a dry run removes nothing
    result = CliRunner().invoke(envs_group, ["prune", "--yes", "--env-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 env(s) removed" in result.output and "freed" in result.output
    assert other.exists() and not stale.exists() and not never.exists()
    result = CliRunner().invoke(
        envs_group, ["prune", "--older-than", "12h", "--yes", "--env-dir", str(tmp_path)]
    )
    assert "1 env(s) removed" in result.output and not other.exists()


def test_prune_age_is_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(envs_group, ["prune", "--older-than", "soon", "--env-dir", str(tmp_path)])
    assert result.exit_code == 2 and "not an age such as 30d" in result.output


# ---- real builds -----------------------------------------------------------------------


def _worker_modules() -> list[str]:
    """The runner SDK's modules (everything a runner env imports of the core)."""
    return sorted(
        f"omnirec_core.runner.{p.stem}" for p in (ROOT / "omnirec_core" / "runner").glob("[!_]*.py")
    )


@pytest.mark.slow
def test_build_then_reuse_without_subprocess(
    env_manager: EnvManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_manager.ensure(tiny())
    assert env.python.exists() and (env.path / MARKER).exists()
    assert env.python_version.startswith("3.11.")
    assert "msgpack==" in env.freeze and "numpy==" in env.freeze
    # The core, editable from this checkout (pip freeze may name the checkout by its git remote).
    core = next(d for d in env.inputs["install_self"] if d["dist"] == "omnirec-core")
    assert (core["source"], core["target"]) == ("editable", str(ROOT))
    assert "omnirec" in env.freeze
    marker_mtime = (env.path / MARKER).stat().st_mtime_ns

    def no_subprocess(*a, **k):
        raise AssertionError("the fast path must not start a subprocess")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    again = env_manager.ensure(tiny())
    monkeypatch.undo()
    assert again.path == env.path and again.created == env.created and not again.built
    assert (env.path / MARKER).stat().st_mtime_ns == marker_mtime
    assert env in env_manager.list_envs()


@pytest.mark.slow
def test_env_is_compiled_even_when_pip_does_not_compile(tmp_path: Path) -> None:
    # pip's --no-compile leaves no bytecode; the build's own compile pass must add it.
    env = EnvManager(tmp_path, pip_options=("--no-compile",)).ensure(tiny(name="EnvCompile"))
    site = next(env.path.glob("lib/python*/site-packages"))
    modules = [p for p in (site / "msgpack").glob("*.py")]
    assert modules
    for module in modules:
        assert list((module.parent / "__pycache__").glob(f"{module.stem}.*.pyc")), module


@pytest.mark.slow
def test_worker_side_imports_stay_light(runner_env) -> None:
    env = runner_env(tiny())
    mods = _worker_modules()
    code = (
        f"import sys; import {', '.join(mods)}\n"
        "heavy = sorted({'pandas', 'pluggy', 'click', 'rich', 'cryptography'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
        "core = sorted(m for m in sys.modules if m.startswith('omnirec_core.') and not m.startswith('omnirec_core.runner'))\n"
        "assert not core, core\n"
        "import omnirec_core; print(omnirec_core.__file__)\n"
    )
    out = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == ROOT / "omnirec_core" / "__init__.py"
    # pandas is not even installed: the core went in with --no-deps.
    assert "pandas" not in env.freeze.lower()


@pytest.mark.slow
def test_half_built_dir_is_replaced_by_a_real_build(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    path = _half_built(mgr, tiny())
    env = mgr.ensure(tiny())
    assert env.built and env.path == path
    assert not (path / "leftover.txt").exists()
    again = mgr.ensure(tiny(), rebuild=True)
    assert again.built and again.created > env.created
    # the CLI sees it, then removes it
    result = CliRunner().invoke(envs_group, ["remove", "envtest", "--env-dir", str(tmp_path)])
    assert result.exit_code == 0 and f"removed {path}" in result.output.replace("\n", "")
    assert not path.exists() and mgr.list_envs() == []


@pytest.mark.slow
def test_concurrent_ensure_builds_once(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import json
        from omnirec_core.orchestration.envs.manager import EnvManager
        from omnirec_core.plugin.specs import RunnerSpec
        spec = RunnerSpec(name="EnvTest", algorithms=(), worker_module="omnirec_core.runner.api")
        env = EnvManager({str(tmp_path)!r}).ensure(spec)
        print(json.dumps([env.built, env.created, str(env.path)]))
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(r[0] for r in results) == [False, True]  # exactly one built it
    assert results[0][1:] == results[1][1:]  # same env, same creation time


@pytest.mark.slow
def test_failed_install_is_one_clear_error(tmp_path: Path) -> None:
    mgr = EnvManager(tmp_path)
    spec = tiny(requirements=("omnirec-no-such-package-anywhere==0.0.1",))
    with pytest.raises(EnvBuildError) as err:
        mgr.ensure(spec)
    msg = str(err.value)
    assert "building the env for runner 'EnvTest' failed" in msg
    assert "omnirec-no-such-package-anywhere" in msg.split("Last lines of the log:")[1]
    repro = msg.split("Reproduce with:")[1].split("Full log:")[0]
    assert "-m virtualenv" in repro and "-m pip install" in repro
    assert "omnirec-no-such-package-anywhere==0.0.1" in repro
    log_path = Path(msg.split("Full log: ")[1].splitlines()[0])
    assert log_path.is_file() and "exit status" in log_path.read_text()
    assert not mgr.path_for(spec).exists()
    assert mgr.list_envs() == [] and mgr.incomplete() == []
    assert mgr.prune() == [] and not log_path.exists()  # prune drops orphan logs


@pytest.mark.slow
def test_worker_module_missing_from_env(tmp_path: Path) -> None:
    spec = tiny(worker_module="omnirec_not_installed.worker")
    with pytest.raises(EnvBuildError, match=r"does not import in the new env.*install_self") as err:
        EnvManager(tmp_path).ensure(spec)
    assert "No module named 'omnirec_not_installed'" in str(err.value)  # the log tail
    assert not EnvManager(tmp_path).path_for(spec).exists()


@pytest.mark.slow
def test_cli_build_and_list(tmp_path: Path, tiny_runner: RunnerSpec) -> None:
    runner = CliRunner()
    args = ["--env-dir", str(tmp_path)]
    result = runner.invoke(envs_group, ["build", "envtest", *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "EnvTest: env built (Python 3.11." in result.output
    result = runner.invoke(envs_group, ["build", "EnvTest", *args], env={"COLUMNS": "250"})
    assert "env already built" in result.output
    result = runner.invoke(envs_group, ["list", *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "EnvTest" in line)
    assert "ready" in row and "MB" in row
    path = EnvManager(tmp_path).path_for(tiny_runner)
    assert path.name in result.output
    # Just used, so a prune keeps it; the use is recorded for every installation to see.
    assert EnvManager(tmp_path).prune() == []
    used, by = EnvManager(tmp_path).last_used(path)
    assert time.time() - used < 3600 and sys.prefix in by


@pytest.mark.slow
def test_fake_runner_env_through_the_shared_fixture(runner_env) -> None:
    from omnirec_core.plugin.manager import get_runner

    spec = get_runner("Fake")
    env = runner_env("Fake")
    assert env.spec_name == "Fake" and env.path.name.startswith("fake-py3.11-")
    code = (
        f"import sys, importlib; importlib.import_module({spec.worker_module!r}.rpartition('.')[0])\n"
        "import omnirec_core.runner.serve\n"
        "assert not {'pandas', 'pluggy', 'click'} & set(sys.modules), sorted(sys.modules)\n"
    )
    out = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert runner_env("Fake").created == env.created  # reused, not rebuilt
