"""Python discovery against fake pyenv trees and PATH dirs made of real interpreters."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

from omnirec_core.orchestration.envs.pythons import (
    PythonNotFoundError,
    discover_python,
    find_python,
    version_env_var,
)

HERE = platform.python_version()  # e.g. 3.11.7
MINOR = ".".join(HERE.split(".")[:2])  # e.g. 3.11
OTHER = f"{sys.version_info[0]}.{sys.version_info[1] + 40}"  # a version nobody has


def _link(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(sys.executable)
    return target


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No python on PATH, an empty pyenv root, no overrides."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    for var in list(os.environ):
        if var.startswith("OMNIREC_PYTHON"):
            monkeypatch.delenv(var)
    return tmp_path


def test_env_var_name() -> None:
    assert version_env_var("3.11") == "OMNIREC_PYTHON_3_11"


def test_pyenv_tree_found_newest_first(isolated: Path) -> None:
    versions = isolated / "pyenv" / "versions"
    _link(versions / "3.0.1" / "bin" / f"python{MINOR}")  # another minor: ignored
    older = _link(versions / f"{MINOR}.0" / "bin" / f"python{MINOR}")
    newer = _link(versions / HERE / "bin" / f"python{MINOR}")
    _link(versions / f"{MINOR}-dev" / "bin" / f"python{MINOR}")  # flavours are skipped
    info = discover_python(MINOR)
    assert info.path == newer != older
    assert info.source.startswith("pyenv")
    assert info.version == HERE
    assert any("PATH: no" in s for s in info.searched)


def test_path_wins_over_pyenv(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _link(isolated / "bin" / f"python{MINOR}")
    _link(isolated / "pyenv" / "versions" / HERE / "bin" / f"python{MINOR}")
    monkeypatch.setenv("PATH", str(on_path.parent))
    info = discover_python(MINOR)
    assert info.path == on_path and info.source.startswith("PATH")


def test_pyenv_shim_on_path_is_skipped(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shims = isolated / "pyenv" / "shims"
    shims.mkdir(parents=True)
    shim = shims / f"python{MINOR}"
    shim.write_text("#!/bin/sh\necho 'pyenv: version not active' >&2\nexit 127\n")
    shim.chmod(0o755)
    real = _link(isolated / "pyenv" / "versions" / HERE / "bin" / f"python{MINOR}")
    monkeypatch.setenv("PATH", str(shims))
    info = discover_python(MINOR)
    assert info.path == real
    assert any("pyenv shim" in s for s in info.searched)


def test_current_interpreter_is_last_resort(isolated: Path) -> None:
    info = discover_python(MINOR)
    assert info.source.startswith("current interpreter")
    assert info.version == HERE


def test_version_mismatch_and_missing_version_error(isolated: Path) -> None:
    # A tree that claims OTHER but holds this interpreter must be rejected after probing.
    _link(isolated / "pyenv" / "versions" / f"{OTHER}.0" / "bin" / f"python{OTHER}")
    with pytest.raises(PythonNotFoundError) as err:
        find_python(OTHER)
    msg = str(err.value)
    assert f"no Python {OTHER} interpreter found" in msg
    assert f"PATH: no python{OTHER}" in msg
    assert f"is Python {HERE}" in msg  # the fake pyenv entry and the current interpreter
    assert "current interpreter" in msg
    assert f"OMNIREC_PYTHON_{OTHER.replace('.', '_')}" in msg
    assert f"pyenv install {OTHER}" in msg


def test_empty_pyenv_is_named_in_error(isolated: Path) -> None:
    with pytest.raises(PythonNotFoundError, match=r"pyenv: no .* under .*pyenv/versions"):
        find_python(OTHER)


def test_override_variable(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _link(isolated / "custom" / "py")
    monkeypatch.setenv(version_env_var(MINOR), str(exe))
    info = discover_python(MINOR)
    assert info.path == exe and "OMNIREC_PYTHON_" in info.source


def test_override_map(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _link(isolated / "custom" / "py")
    monkeypatch.setenv("OMNIREC_PYTHON", f"3.0=/nowhere, {MINOR}={exe}")
    info = discover_python(MINOR)
    assert info.path == exe and info.source.startswith("OMNIREC_PYTHON (")


def test_argument_beats_variable(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _link(isolated / "arg" / "py")
    monkeypatch.setenv(version_env_var(MINOR), "/nowhere/python")
    assert find_python(MINOR, str(exe)) == exe


def test_bad_override_is_an_error_not_a_fallback(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(version_env_var(MINOR), str(isolated / "missing-python"))
    with pytest.raises(PythonNotFoundError, match=r"Fix or unset OMNIREC_PYTHON_\d+_\d+"):
        find_python(MINOR)
    other = _link(isolated / "wrong" / "py")  # a real interpreter of the wrong version
    with pytest.raises(PythonNotFoundError, match=f"is Python {HERE}"):
        find_python(OTHER, str(other))


def test_bad_version_string() -> None:
    with pytest.raises(PythonNotFoundError, match="not a Python version"):
        find_python("three")
