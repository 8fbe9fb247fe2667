"""Ray executor: each sub-unit is a Ray job whose entrypoint is ``omnirec worker run SPEC``.

The submission id is derived from the sub-unit's spec path and attempt number, and it
is recorded before submitting, so a restarted coordinator finds its jobs and waits for
them instead of submitting them again. Ray is an optional dependency:
``pip install 'omnirec-core[ray]'``; it is imported only when this executor is used.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnirec_core.orchestration.executors.cluster import ClusterError, ClusterExecutor, SubUnit
from omnirec_core.orchestration.executors.node import ENGINE_ID_ENV
from omnirec_core.orchestration.jobs import read_json, short_hash
from omnirec_core.orchestration.units import unit_paths

ACTIVE = frozenset({"PENDING", "RUNNING"})


class RayMissing(ClusterError):
    """Ray is not installed."""


def _client_class() -> Any:
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise RayMissing(
            f"the Ray executor needs Ray's job client ({exc}); install it with: pip install 'omnirec-core[ray]'"
        ) from None
    return JobSubmissionClient


class RayExecutor(ClusterExecutor):
    """Run units as Ray jobs on the cluster at ``address`` (``http://head:8265``).

    ``cpus``/``gpus``/``memory`` (bytes) are reserved per job (``entrypoint_num_cpus`` ...;
    GPU algorithms get at least one GPU); ``token`` is sent as ``Authorization: Bearer``
    (or give any ``headers``); ``runtime_env`` is merged into every job's;
    ``max_in_flight`` caps the jobs queued or running at once.
    """

    engine = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        cpus: int = 4,
        gpus: int = 0,
        memory: int | None = None,
        bundle: int = 10,
        max_in_flight: int = 100,
        max_retries: int = 2,
        poll_interval: float = 5.0,
        lost_grace: float = 5.0,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        worker_command: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            cpus=cpus,
            gpus=gpus,
            bundle=bundle,
            max_retries=max_retries,
            poll_interval=poll_interval,
            lost_grace=lost_grace,
            worker_command=worker_command,
        )
        self.address = address or os.environ.get("RAY_API_SERVER_ADDRESS") or os.environ.get("RAY_ADDRESS")
        self.memory = memory
        self.max_in_flight = max_in_flight
        self.headers = dict(headers or {})
        token = token or os.environ.get("RAY_AUTH_TOKEN")
        if token:
            self.headers.setdefault("Authorization", f"Bearer {token}")
        self.runtime_env = dict(runtime_env or {})
        self._client: Any = None
        self._known: dict[str, str] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            cls = _client_class()
            try:
                self._client = cls(self.address, headers=self.headers or None)
            except Exception as exc:
                raise ClusterError(
                    f"cannot reach the Ray cluster at {self.address or '(RAY_ADDRESS unset)'}: {exc}; "
                    "start one with `ray start --head` or pass address='http://HEAD:8265'"
                ) from None
        return self._client

    def _engine_start(self) -> None:
        _ = self.client

    def _engine_room(self) -> int:
        live = sum(1 for s in self._subs if not s.finished and not s.waiting)
        return self.max_in_flight - live

    def _engine_new_id(self, sub: SubUnit) -> str:
        """``omnirec-<hash of the spec path>-<attempt>``: chosen, and recorded, before submitting."""
        return f"omnirec-{short_hash(str(sub.spec), n=16)}-{len(sub.attempts) + 1}"

    def _engine_submit(self, subs: list[SubUnit], run_dir: Path) -> None:
        for s in subs:  # one per submission (the default chunk)
            sid = s.attempts[-1]["id"]
            command = " ".join(shlex.quote(c) for c in [*self.worker_command, "worker", "run", str(s.spec)])
            env = dict(self.runtime_env)
            env["env_vars"] = {**env.get("env_vars", {}), ENGINE_ID_ENV: sid}
            try:
                self.client.submit_job(
                    entrypoint=f"cd {shlex.quote(os.getcwd())} && exec {command}",
                    submission_id=sid,
                    runtime_env=env,
                    metadata={"omnirec_spec": str(s.spec)},
                    entrypoint_num_cpus=self.cpus,
                    entrypoint_num_gpus=s.gpus or None,
                    entrypoint_memory=self.memory,
                )
            except RuntimeError as exc:
                if "already exists" not in str(exc):  # submitted before a crash: keep it
                    raise ClusterError(f"Ray refused job {sid}: {str(exc)[-500:]}") from None

    def _engine_states(self, ids: list[str]) -> dict[str, str] | None:
        out = {}
        for sid in ids:
            try:
                status = self.client.get_job_status(sid)
            except RuntimeError as exc:
                if "does not exist" in str(exc):
                    continue
                return None
            except Exception:  # the head is unreachable for now
                return None
            out[sid] = str(getattr(status, "value", status))
        self._known.update(out)
        return out

    def _engine_active(self, state: str) -> bool:
        return state in ACTIVE

    def _engine_cancel(self, ids: list[str]) -> None:
        for sid in ids:
            try:
                self.client.stop_job(sid)
            except Exception:  # already gone
                continue

    def _engine_describe(self, sub: SubUnit, state: str) -> str:
        sid = sub.engine_id or "?"
        parts = [f"status {state}"]
        try:
            info = self.client.get_job_info(sid)
            if getattr(info, "message", None):
                parts.append(str(info.message))
            parts.append("log tail:\n" + self.client.get_job_logs(sid)[-1500:])
        except Exception:
            pass
        error = read_json(unit_paths(sub.spec)[1])
        if error and error.get("engine_job_id") == sid:
            parts.append(f"worker error: {error.get('error')}")
        return "; ".join(parts)
