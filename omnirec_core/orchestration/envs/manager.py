"""Runner virtualenvs: one per (runner, Python, requirements, pip options, sources).

An env lives at ``<cache>/<runner>-py<version>-<key>`` where ``key`` is a sha256 of
exactly what goes into it (see :meth:`EnvManager.plan`). Decisions worth knowing:

- **Built in place, marker last.** virtualenv envs are not relocatable (scripts embed
  their absolute path), so an env is built at its final path while holding a file lock
  (``<cache>/.locks/<dir>.lock``) and the completion marker ``omnirec-env.json`` (with
  the ``pip freeze``) is written atomically as the last step. A directory without a
  marker is a half-built env: it is never used; the next build, ``prune`` or ``remove``
  deletes it (only when its lock is free, so a build in progress is left alone).
- **Fast path without a subprocess.** A ready env is found by reading the marker and
  checking that the interpreter file (a symlink to the base Python) still resolves.
- **Self-installed distributions** (``RunnerSpec.install_self``: the core and the
  plugin) come from where they come from here: an editable install (PEP 610
  ``direct_url.json`` with ``dir_info.editable``, or a legacy ``.egg-info`` in a source
  tree) is installed *editable* from the same source tree, so the worker runs the code
  the user is editing and no stale copy hides in the env; a local directory, archive or
  VCS install is installed from the same place; anything else as ``name==version``
  from the index. The source path and version are part of the key.
- **``--no-deps`` for self-installed distributions.** The requirements plus
  ``msgpack`` and ``numpy`` are resolved together first; the core and plugin are then
  installed without their declared dependencies. This is safe because the worker side
  (``omnirec_core.runner.serve``, ``wire``, ``runner_api``, ``fsutil``) imports only the stdlib,
  msgpack and numpy, and a plugin's worker needs must be in ``RunnerSpec.requirements``;
  it keeps pandas, pluggy, click, cryptography... out of runner envs and out of their
  resolution (RecBole's ``numpy<2`` never meets the core's own dependency ranges).
- **pip options** come from the spec, the constructor, ``OMNIREC_PIP_OPTIONS`` (shlex
  split, appended last so they win) and a constraints file (argument or
  ``OMNIREC_PIP_CONSTRAINTS``, keyed by content). pip's own configuration (pip.conf,
  ``PIP_*`` variables) applies too but is not part of the key.
- Every module in the env is compiled to bytecode at build time (pip's own compile,
  then a ``compileall`` pass that fills what pip skipped, e.g. with ``--no-compile``), so
  runner starts stay fast even with ``PYTHONDONTWRITEBYTECODE=1``; editable sources
  are small (about 20 ms to compile at a start) and not compiled in the env.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import filelock

from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.envs.pythons import PythonNotFoundError, discover_python, version_override
from omnirec_core.plugin.manager import get_runners
from omnirec_core.plugin.specs import RunnerSpec
from omnirec_core.runner.fs import atomic_write_json

log = logging.getLogger(__name__)

MARKER = "omnirec-env.json"
#: When and by which installation an env was last handed out (``prune`` goes by it).
USED_FILE = "omnirec-used.json"
#: Envs unused for this long are what ``omnirec envs prune`` removes by default.
DEFAULT_PRUNE_AGE = 30 * 86400.0
ENV_FORMAT = 1
#: What the worker side itself needs in every runner env (see the module docstring).
WORKER_REQUIREMENTS = ("msgpack>=1.0", "numpy>=1.24")
DIR_ENV = "OMNIREC_ENV_DIR"
PIP_OPTIONS_ENV = "OMNIREC_PIP_OPTIONS"
CONSTRAINTS_ENV = "OMNIREC_PIP_CONSTRAINTS"
LOG_TAIL_LINES = 30
# Variables from the caller's shell that would leak other packages into a build.
_SCRUB_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")


class EnvError(OmniRecError):
    """A runner env cannot be planned or managed (bad settings, missing distribution)."""


class EnvBuildError(EnvError):
    """Creating a runner env failed; the message has the log tail and a reproduce command."""


@dataclass(frozen=True)
class SelfInstall:
    """How one ``install_self`` distribution goes into an env."""

    dist: str
    version: str
    source: str  # editable | path | url | vcs | index
    target: str

    def pip_args(self) -> list[str]:
        return ["-e", self.target] if self.source == "editable" else [self.target]


@dataclass(frozen=True)
class EnvPlan:
    """Everything that goes into a runner env, and the key derived from it."""

    spec: RunnerSpec
    inputs: dict[str, Any]
    key: str
    dirname: str
    python_override: str | None


@dataclass(frozen=True)
class RunnerEnv:
    """A ready runner env. ``python`` is the env's interpreter; ``built`` is True when
    this call created it (False when an existing env was reused)."""

    path: Path
    python: Path
    key: str
    spec_name: str
    freeze: str
    created: float
    python_version: str
    base_python: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict, compare=False)
    built: bool = field(default=False, compare=False)


def default_cache_dir() -> Path:
    """``$OMNIREC_ENV_DIR``, else ``<user cache dir>/omnirec/envs``."""
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("omnirec")) / "envs"


def env_python(path: Path) -> Path:
    """The interpreter inside the env at ``path``."""
    if os.name == "nt":  # pragma: no cover - not tested here
        return path / "Scripts" / "python.exe"
    return path / "bin" / "python"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "runner"


def _norm_req(req: str) -> str:
    return " ".join(req.split())


def _dir_size(path: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def _url_path(url: str) -> str:
    return unquote(urlparse(url).path)


def resolve_self_install(dist: str, override: str | os.PathLike[str] | None = None) -> SelfInstall:
    """Where ``dist`` comes from in this Python, and how to install it into an env."""
    if override is not None:
        path = Path(override).expanduser().resolve()
        if not path.is_dir():
            raise EnvError(f"the source given for {dist!r} ({path}) is not a directory")
        return SelfInstall(dist, "", "editable", str(path))
    found = list(importlib.metadata.distributions(name=dist))
    if not found:
        raise EnvError(
            f"distribution {dist!r} must go into a runner env but is not installed here; "
            f"install it (for a source checkout: pip install -e PATH) and try again"
        )
    # Prefer a record with PEP 610 data: a stray .egg-info in the working directory
    # shadows the real dist-info when running from a source checkout.
    for d in found:
        raw = d.read_text("direct_url.json")
        if raw:
            return _from_direct_url(dist, d.version, json.loads(raw))
    for d in found:
        meta = Path(str(getattr(d, "_path", "")))
        tree = meta.parent.resolve()
        if meta.suffix == ".egg-info" and any((tree / f).exists() for f in ("pyproject.toml", "setup.py")):
            return SelfInstall(dist, d.version, "editable", str(tree))
    return SelfInstall(dist, found[0].version, "index", f"{dist}=={found[0].version}")


def _from_direct_url(dist: str, version: str, data: dict[str, Any]) -> SelfInstall:
    url = data.get("url", "")
    subdir = data.get("subdirectory")
    if "dir_info" in data:
        path = _url_path(url)
        if subdir:
            path = os.path.join(path, subdir)
        source = "editable" if data["dir_info"].get("editable") else "path"
        return SelfInstall(dist, version, source, path)
    if "vcs_info" in data:
        vcs = data["vcs_info"]
        target = f"{vcs['vcs']}+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
        if subdir:
            target += f"#subdirectory={subdir}"
        return SelfInstall(dist, version, "vcs", target)
    if url.startswith("file:") and os.path.exists(_url_path(url)):
        return SelfInstall(dist, version, "url", _url_path(url))
    if "archive_info" in data and not url.startswith("file:"):
        return SelfInstall(dist, version, "url", url)
    return SelfInstall(dist, version, "index", f"{dist}=={version}")


class EnvManager:
    """Creates, finds, lists and removes runner envs under one cache directory.

    An :class:`~omnirec_core.orchestration.envs.EnvProvider` of isolated envs.

    ``python_overrides`` maps a Python version ("3.11") to an interpreter path;
    ``sources`` maps a distribution name to a source tree to install it from (editable)
    instead of looking it up in this Python; ``progress`` receives one-line messages.
    """

    isolated = True

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        python_overrides: Mapping[str, str] | None = None,
        pip_options: Iterable[str] = (),
        constraints: str | os.PathLike[str] | None = None,
        quiet: bool = True,
        sources: Mapping[str, str | os.PathLike[str]] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self.python_overrides = dict(python_overrides or {})
        self.pip_options = tuple(pip_options) + tuple(shlex.split(os.environ.get(PIP_OPTIONS_ENV, "")))
        raw = constraints if constraints is not None else os.environ.get(CONSTRAINTS_ENV)
        self.constraints = Path(raw).expanduser().resolve() if raw else None
        self.quiet = quiet
        self.sources = dict(sources or {})
        self._progress = progress

    # ---- planning --------------------------------------------------------------

    def plan(self, spec: RunnerSpec) -> EnvPlan:
        """What goes into ``spec``'s env and its key (no subprocess, no disk writes)."""
        override = self.python_overrides.get(spec.python) or version_override(spec.python)
        constraints = None
        if self.constraints is not None:
            if not self.constraints.is_file():
                raise EnvError(
                    f"pip constraints file {self.constraints} does not exist; fix the path "
                    f"or unset {CONSTRAINTS_ENV}"
                )
            digest = hashlib.sha256(self.constraints.read_bytes()).hexdigest()
            constraints = {"path": str(self.constraints), "sha256": digest}
        selfs = [resolve_self_install(d, self.sources.get(d)) for d in spec.install_self]
        inputs = {
            "format": ENV_FORMAT,
            "runner": spec.name,
            "python": spec.python,
            "python_override": override,
            "requirements": sorted({_norm_req(r) for r in (*spec.requirements, *WORKER_REQUIREMENTS)}),
            "pip_options": [*spec.pip_options, *self.pip_options],
            "constraints": constraints,
            "install_self": sorted(
                (
                    {"dist": s.dist, "version": s.version, "source": s.source, "target": s.target}
                    for s in selfs
                ),
                key=lambda s: s["dist"],
            ),
        }
        blob = json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()
        key = hashlib.sha256(blob).hexdigest()
        dirname = f"{_slug(spec.name)}-py{spec.python}-{key[:16]}"
        return EnvPlan(spec, inputs, key, dirname, override)

    def key(self, spec: RunnerSpec) -> str:
        """The env's content key (see :meth:`plan`)."""
        return self.plan(spec).key

    def path_for(self, spec: RunnerSpec) -> Path:
        return self.cache_dir / self.plan(spec).dirname

    # ---- lookup ----------------------------------------------------------------

    def find(self, spec: RunnerSpec) -> RunnerEnv | None:
        """The ready env for ``spec``, or ``None`` (fast: reads the marker only)."""
        plan = self.plan(spec)
        return self._load(self.cache_dir / plan.dirname, plan.key)

    def ensure(self, spec: RunnerSpec, *, rebuild: bool = False) -> RunnerEnv:
        """The ready env for ``spec``, built first if needed (or if ``rebuild``)."""
        plan = self.plan(spec)
        path = self.cache_dir / plan.dirname
        if not rebuild and (env := self._load(path, plan.key)):
            return self._mark_used(env)
        with self._lock(path, waiting=f"waiting for another process building {path.name}"):
            # Another process may have finished it while we waited for the lock.
            if not rebuild and (env := self._load(path, plan.key)):
                return self._mark_used(env)
            self._discard(path)
            return self._mark_used(self._build(plan, path))

    def _load(self, path: Path, key: str | None) -> RunnerEnv | None:
        try:
            data = json.loads((path / MARKER).read_text())
        except (OSError, ValueError):
            return None
        if data.get("format") != ENV_FORMAT or (key is not None and data.get("key") != key):
            return None
        python = env_python(path)
        if not python.exists():  # follows the symlink: the base interpreter is gone
            return None
        return RunnerEnv(
            path=path,
            python=python,
            key=str(data.get("key", "")),
            spec_name=data.get("runner", ""),
            freeze=data.get("freeze", ""),
            created=float(data.get("created", 0.0)),
            python_version=data.get("python_version", ""),
            base_python=data.get("base_python", ""),
            inputs=data.get("inputs", {}),
        )

    # ---- building --------------------------------------------------------------

    def _say(self, msg: str) -> None:
        if self._progress is not None:
            self._progress(msg)
        else:
            log.info("%s", msg)

    @contextlib.contextmanager
    def _lock(self, path: Path, *, waiting: str):
        locks = self.cache_dir / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(locks / f"{path.name}.lock"))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            self._say(waiting)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def _is_locked(self, path: Path) -> bool:
        lock = filelock.FileLock(str(self.cache_dir / ".locks" / f"{path.name}.lock"))
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return True
        lock.release()
        return False

    def _discard(self, path: Path) -> None:
        """Delete an env dir, marker first, so a half-deleted env never looks ready."""
        with contextlib.suppress(FileNotFoundError):
            (path / MARKER).unlink()
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)

    def _build(self, plan: EnvPlan, path: Path) -> RunnerEnv:
        spec = plan.spec
        logs = self.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{plan.dirname}.log"
        started = time.time()
        try:
            base = discover_python(spec.python, plan.python_override)
        except PythonNotFoundError as exc:
            raise EnvBuildError(f"cannot build the env for runner {spec.name!r}: {exc}") from None
        self._say(f"building env for {spec.name} with Python {base.version} ({base.path}) at {path}")
        build = _Build(self, plan, path, log_path, base.path)
        try:
            with open(log_path, "w", encoding="utf-8") as logf:
                build.logf = logf
                logf.write(f"# omnirec env build for runner {spec.name} at {path}\n")
                logf.write(f"# python: {base.path} ({base.source})\n")
                logf.write(f"# inputs: {json.dumps(plan.inputs, sort_keys=True)}\n")
                build.create_venv()
                build.install()
                freeze, pyver = build.inspect()
        except BaseException:
            self._discard(path)
            raise
        import virtualenv

        record = {
            "format": ENV_FORMAT,
            "key": plan.key,
            "runner": spec.name,
            "inputs": plan.inputs,
            "python_version": pyver,
            "base_python": str(base.path),
            "python_source": base.source,
            "freeze": freeze,
            "created": time.time(),
            "build_seconds": round(time.time() - started, 1),
            "virtualenv": virtualenv.__version__,
            "log": str(log_path),
        }
        atomic_write_json(path / MARKER, record)
        self._say(f"env for {spec.name} ready in {record['build_seconds']} s")
        env = self._load(path, plan.key)
        assert env is not None  # we just wrote its marker
        return dataclasses.replace(env, built=True)

    # ---- listing and cleanup ---------------------------------------------------

    def _dirs(self) -> list[Path]:
        if not self.cache_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.cache_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.name != "logs"
        )

    def list_envs(self) -> list[RunnerEnv]:
        """Every ready env in the cache (any key)."""
        return [env for p in self._dirs() if (env := self._load(p, None))]

    def incomplete(self) -> list[Path]:
        """Env dirs without a valid marker (half-built, broken, or being built now)."""
        return [p for p in self._dirs() if self._load(p, None) is None]

    def remove(self, name: str) -> list[Path]:
        """Remove every env (ready or half-built) of the runner called ``name``."""
        targets = [e.path for e in self.list_envs() if e.spec_name.lower() == name.lower()]
        prefix = f"{_slug(name)}-py"
        targets += [p for p in self.incomplete() if p.name.startswith(prefix)]
        return [p for p in targets if self._remove_dir(p)]

    def _remove_dir(self, path: Path) -> bool:
        if self._is_locked(path):
            self._say(f"skipped {path.name}: another process is building it")
            return False
        with self._lock(path, waiting=""):
            self._discard(path)
        with contextlib.suppress(FileNotFoundError):
            (self.cache_dir / "logs" / f"{path.name}.log").unlink()
        return True

    def current_dirnames(self, specs: Iterable[RunnerSpec] | None = None) -> set[str]:
        """Dir names of the envs that the given (or this installation's) runner specs use now."""
        if specs is None:
            specs = get_runners().values()
        wanted: set[str] = set()
        for spec in specs:
            with contextlib.suppress(OmniRecError):  # a spec that cannot be planned here has no env here
                wanted.add(self.plan(spec).dirname)
        return wanted

    def last_used(self, path: Path) -> tuple[float, str]:
        """(when, by which installation) an env was last handed out; its build time if never."""
        rec = _read_json(path / USED_FILE)
        if rec is not None:
            return float(rec.get("time", 0.0)), str(rec.get("by", ""))
        marker = _read_json(path / MARKER) or {}
        return float(marker.get("created", 0.0)), ""

    def prune(self, older_than: float = DEFAULT_PRUNE_AGE, *, dry_run: bool = False) -> list[PruneItem]:
        """Remove envs no installation has used for ``older_than`` seconds, and half-built dirs.

        Envs are shared by every checkout and venv using this cache, so what this
        installation's runners want decides nothing: only the last use does. Returns what
        was (or, with ``dry_run``, would be) removed; a dir being built is left alone.
        """
        now = time.time()
        items: list[PruneItem] = []
        for path in self._dirs():
            if self._is_locked(path):
                continue
            env = self._load(path, None)
            if env is None:
                items.append(PruneItem(path, path.name.rsplit("-py", 1)[0], "half-built", _dir_size(path)))
                continue
            used, by = self.last_used(path)
            if now - used >= older_than:
                days = (now - used) / 86400
                who = f" (last by {by})" if by else ""
                items.append(
                    PruneItem(path, env.spec_name, f"unused for {days:.0f} days{who}", _dir_size(path))
                )
        if dry_run:
            return items
        removed = [item for item in items if self._remove_dir(item.path)]
        # Logs of failed builds outlive their env dir; prune is where they go.
        present = {p.name for p in self._dirs()}
        for log_file in (self.cache_dir / "logs").glob("*.log"):
            if log_file.stem not in present and not self._is_locked(self.cache_dir / log_file.stem):
                with contextlib.suppress(OSError):
                    log_file.unlink()
        return removed

    def describe(self, specs: Iterable[RunnerSpec] | None = None) -> list[dict[str, Any]]:
        """One row per env dir for ``omnirec envs list``: state, Python, size, created, last use.

        ``current`` says whether this installation's runners use the env now; other
        checkouts or venvs sharing the cache may use the rest.
        """
        wanted = self.current_dirnames(specs)
        rows = []
        for p in self._dirs():
            env = self._load(p, None)
            if env is None:
                state = "building" if self._is_locked(p) else "incomplete"
            else:
                state = "ready"
            used, by = self.last_used(p) if env else (0.0, "")
            rows.append(
                {
                    "runner": env.spec_name if env else p.name.rsplit("-py", 1)[0],
                    "state": state,
                    "current": p.name in wanted,
                    "python": env.python_version if env else "",
                    "base_python": env.base_python if env else "",
                    "created": env.created if env else None,
                    "last_used": used or None,
                    "used_by": by,
                    "size": _dir_size(p),
                    "key": env.key[:16] if env else "",
                    "path": str(p),
                }
            )
        return rows

    def _mark_used(self, env: RunnerEnv) -> RunnerEnv:
        """Record that this installation uses ``env`` now (what ``prune`` goes by)."""
        with contextlib.suppress(OSError):  # a read-only cache still runs
            atomic_write_json(env.path / USED_FILE, {"time": time.time(), "by": installation()})
        return env


def installation() -> str:
    """Which omnirec installation is running: its Python environment and the core's source."""
    core = Path(__file__).resolve().parents[2]
    return f"{sys.prefix} ({core})"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class PruneItem:
    """An env dir ``prune`` removes (or would remove), why, and the space it frees."""

    path: Path
    runner: str
    reason: str
    size: int


class _Build:
    """The subprocess steps of one env build, all logged to one file."""

    def __init__(self, mgr: EnvManager, plan: EnvPlan, path: Path, log_path: Path, base: Path):
        self.mgr, self.plan, self.path, self.log_path, self.base = mgr, plan, path, log_path, base
        self.logf: Any = None
        self.steps: list[list[str]] = []
        self.env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
        self.env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

    def fail(self, what: str) -> EnvBuildError:
        self.logf.flush()
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            lines = [f"(the log could not be read: {exc})"]
        tail = "\n".join("  | " + line for line in lines[-LOG_TAIL_LINES:])
        repro = "\n".join("  " + shlex.join(cmd) for cmd in self.steps)
        return EnvBuildError(
            f"building the env for runner {self.plan.spec.name!r} failed: {what}.\n"
            f"Last lines of the log:\n{tail}\n"
            f"Reproduce with:\n{repro}\n"
            f"Full log: {self.log_path}\n"
            f"Fix the requirement or pip option at fault (RunnerSpec.requirements, "
            f"{PIP_OPTIONS_ENV}, {CONSTRAINTS_ENV}) and run again; the broken env was removed."
        )

    def create_venv(self) -> None:
        import virtualenv

        args = [
            str(self.path),
            "--python",
            str(self.base),
            "--no-setuptools",
            "--no-periodic-update",
            "--activators",
            "",
            "--quiet",
        ]
        self.steps.append([sys.executable, "-m", "virtualenv", *args])
        self.mgr._say(f"creating virtualenv {self.path.name}")
        try:
            # setup_logging=False: leave the caller's logging configuration alone.
            virtualenv.cli_run(args, setup_logging=False)
        except (Exception, SystemExit) as exc:  # argparse exits on an option it lacks
            self.logf.write(f"virtualenv failed: {type(exc).__name__}: {exc}\n")
            raise self.fail(f"virtualenv could not create it ({exc})") from None

    def run(
        self,
        cmd: list[str],
        what: str,
        *,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        self.steps.append(cmd)
        self.logf.write(f"$ {shlex.join(cmd)}\n")
        self.logf.flush()
        out = []
        with subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**self.env, **(extra_env or {})},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            errors="replace",
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.append(line)
                self.logf.write(line)
                if not self.mgr.quiet:
                    sys.stderr.write(line)
        rc = proc.returncode
        self.logf.flush()
        if rc != 0:
            self.logf.write(f"# exit status {rc}\n")
            raise self.fail(f"{what} exited with status {rc}")
        return "".join(out)

    def install(self) -> None:
        py = str(env_python(self.path))
        inputs = self.plan.inputs
        opts = list(inputs["pip_options"])
        pip = [py, "-m", "pip", "install", *opts]
        cons = ["-c", inputs["constraints"]["path"]] if inputs["constraints"] else []
        self.mgr._say(f"installing {len(inputs['requirements'])} requirements")
        self.run([*pip, *cons, *inputs["requirements"]], "pip install of the requirements")
        if inputs["install_self"]:
            selfs = [SelfInstall(**s) for s in inputs["install_self"]]
            self.mgr._say("installing " + ", ".join(s.dist for s in selfs))
            args = [a for s in selfs for a in s.pip_args()]
            self.run([*pip, "--no-deps", *args], "pip install of " + ", ".join(s.dist for s in selfs))
        self.compile()

    def compile(self) -> None:
        """Compile every module in the env's site-packages to bytecode now.

        Runners run with the caller's environment, where ``PYTHONDONTWRITEBYTECODE`` may
        be set: a package left without bytecode would then be compiled again at every
        runner start (pandas alone costs about 2 s). pip usually compiles at install, but
        not with ``--no-compile`` (or ``PIP_NO_COMPILE``) and not for every installer;
        this pass fills the gaps and skips what is up to date. Files that do not compile
        (templates, Python-2 leftovers) are left as they are.
        """
        script = (
            "import compileall, sysconfig; "
            "compileall.compile_dir(sysconfig.get_paths()['purelib'], quiet=2, workers=0)"
        )
        self.run([str(env_python(self.path)), "-c", script], "compiling the env's modules to bytecode")

    def inspect(self) -> tuple[str, str]:
        """Import the worker module in the new env (catches a missing requirement or
        ``install_self`` entry now, not at the first run); return (freeze, version)."""
        py = str(env_python(self.path))
        spec = self.plan.spec
        check = (
            f"import importlib, platform; importlib.import_module({spec.worker_module!r}); "
            "print(platform.python_version())"
        )
        try:
            # In the env dir, with the runner's variables: as the coordinator will start it.
            out = self.run(
                [py, "-c", check], "importing the worker module", cwd=self.path, extra_env=spec.env_vars
            )
        except EnvBuildError:
            raise self.fail(
                f"the worker module {spec.worker_module!r} does not import in the new env "
                "(traceback above); list what it imports in RunnerSpec.requirements and the "
                "distribution that provides it in RunnerSpec.install_self"
            ) from None
        freeze = self.run([py, "-m", "pip", "freeze"], "pip freeze")
        return freeze, out.strip().splitlines()[-1]
