"""Find a Python interpreter of a given version for a runner env.

``virtualenv --python 3.12`` does not see pyenv versions that are not on PATH, and
pyenv's shims on PATH fail for versions that are not active. So every candidate is
run once to ask its real version and executable; the first that matches wins.

Search order: an explicit override (argument, ``OMNIREC_PYTHON_3_11``, or the map
``OMNIREC_PYTHON="3.11=/path/python,3.12=/other/python"``), then ``python3.11`` on
PATH, then pyenv (``$PYENV_ROOT`` or ``~/.pyenv``), then the current interpreter.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from omnirec_core.errors import OmniRecError

MAP_ENV = "OMNIREC_PYTHON"
_PROBE = "import json, sys; print(json.dumps([list(sys.version_info[:3]), sys.executable]))"


class PythonNotFoundError(OmniRecError):
    """No interpreter of the requested version was found (the message lists the search)."""


@dataclass(frozen=True)
class PythonInfo:
    """An interpreter that was found: its executable, full version and where it came from."""

    path: Path
    version: str
    source: str
    searched: tuple[str, ...] = field(default=(), compare=False)


def version_env_var(version: str) -> str:
    """The per-version override variable, e.g. ``OMNIREC_PYTHON_3_11``."""
    return f"{MAP_ENV}_{version.replace('.', '_')}"


def _parse_version(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+){0,2}", version.strip()):
        raise PythonNotFoundError(f"{version!r} is not a Python version; write it like '3.11' or '3.11.7'")
    return tuple(int(p) for p in version.strip().split("."))


def version_override(version: str) -> str | None:
    """The interpreter path the environment names for ``version``, if any."""
    found = _override_from_env(version)
    return found[0] if found else None


def _override_from_env(version: str) -> tuple[str, str] | None:
    var = version_env_var(version)
    if os.environ.get(var):
        return os.environ[var], var
    for entry in re.split(r"[,;\s]+", os.environ.get(MAP_ENV, "")):
        key, sep, value = entry.partition("=")
        if sep and key.strip() == version and value.strip():
            return value.strip(), f"{MAP_ENV} ({entry})"
    return None


@functools.lru_cache(maxsize=64)
def _probe(candidate: str) -> tuple[tuple[int, ...], str] | str:
    """(version, real executable) of ``candidate``, or why it could not be run."""
    try:
        proc = subprocess.run([candidate, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot run: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"exits with {proc.returncode}: {last}"
    try:
        ver, exe = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return "does not answer like a Python interpreter"
    return tuple(ver), exe or candidate


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _pyenv_candidates(want: tuple[int, ...]) -> list[Path]:
    versions = _pyenv_root() / "versions"
    found: list[tuple[tuple[int, ...], Path]] = []
    if versions.is_dir():
        for entry in versions.iterdir():
            if not re.fullmatch(r"\d+(\.\d+)*", entry.name):
                continue  # skip virtualenvs, -dev and other flavours
            ver = tuple(int(p) for p in entry.name.split("."))
            if ver[: len(want)] == want:
                found.append((ver, entry))
    found.sort(reverse=True)  # newest patch release first
    out = []
    for ver, entry in found:
        for name in (f"python{ver[0]}.{ver[1]}" if len(ver) > 1 else "", "python3", "python"):
            exe = entry / "bin" / name
            if name and exe.exists():
                out.append(exe)
                break
    return out


def _is_shim(path: str) -> bool:
    return Path(path).parent == _pyenv_root() / "shims"


def discover_python(version: str, override: str | None = None) -> PythonInfo:
    """Find an interpreter for ``version``, or raise an error that lists the search."""
    want = _parse_version(version)
    searched: list[str] = []

    def check(candidate: str | os.PathLike[str], source: str) -> PythonInfo | None:
        result = _probe(str(candidate))
        if isinstance(result, str):
            searched.append(f"{source}: {candidate} {result}")
            return None
        ver, exe = result
        shown = ".".join(map(str, ver))
        if ver[: len(want)] != want:
            searched.append(f"{source}: {candidate} is Python {shown}")
            return None
        return PythonInfo(Path(exe), shown, f"{source}: {candidate}", tuple(searched))

    origin, fix = "override", f"Pass the path of a Python {version} executable instead."
    if override is None and (env := _override_from_env(version)):
        override, origin = env
        fix = f"Fix or unset {origin}: it must name a Python {version} executable."
    if override:
        info = check(os.path.expanduser(override), origin)
        if info is None:
            raise PythonNotFoundError(
                f"the interpreter given for Python {version} is not usable ({searched[-1]}). {fix}"
            )
        return info

    name = f"python{version}" if len(want) > 1 else f"python{want[0]}"
    on_path = shutil.which(name)
    if on_path is None:
        searched.append(f"PATH: no {name}")
    elif _is_shim(on_path):
        # pyenv shims only work for active versions; pyenv's own tree is searched next.
        searched.append(f"PATH: {on_path} is a pyenv shim, searched pyenv directly")
    elif info := check(on_path, "PATH"):
        return info

    candidates = _pyenv_candidates(want)
    if not candidates:
        searched.append(f"pyenv: no {version}* under {_pyenv_root() / 'versions'}")
    for exe in candidates:
        if info := check(exe, "pyenv"):
            return info

    if info := check(sys.executable, "current interpreter"):
        return info

    var = version_env_var(version)
    raise PythonNotFoundError(
        f"no Python {version} interpreter found. Searched:\n  - "
        + "\n  - ".join(searched)
        + f"\nInstall it (for example `pyenv install {version}`) or point omnirec at one "
        f"with {var}=/path/to/python{version}."
    )


def find_python(version: str, override: str | None = None) -> Path:
    """Path of a Python ``version`` interpreter (see :func:`discover_python`)."""
    return discover_python(version, override).path
