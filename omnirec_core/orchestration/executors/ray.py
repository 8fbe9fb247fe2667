"""Ray executor: each sub-unit is a Ray job whose entrypoint is ``omnirec worker run SPEC``.

The submission id is derived from the sub-unit's spec path and attempt number, and it
is recorded before submitting, so a restarted coordinator finds its jobs and waits for
them instead of submitting them again. Ray is an optional dependency:
``pip install 'omnirec-core[ray]'``; it is imported only when this executor is used.

Ray keeps a job it cannot place PENDING for many minutes without saying why, so the
request is compared with the cluster's live nodes (the state API): ``cpus`` unset is
chosen to fit the largest node (up to 4), and a request no node can hold is refused
before submission, or fails while pending when the nodes that could hold it went away.
``autoscaling=True`` waits instead, for clusters that start bigger nodes on demand.
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
#: CPUs a job asks for when ``cpus`` is unset, unless the largest node has fewer.
DEFAULT_CPUS = 4
_GIB = 1024**3


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
    GPU algorithms get at least one GPU; ``cpus`` unset: what the largest node has, up to
    4); ``token`` is sent as ``Authorization: Bearer`` (or give any ``headers``);
    ``runtime_env`` is merged into every job's; ``max_in_flight`` caps the jobs queued or
    running at once; ``autoscaling``: the cluster adds nodes on demand, so a request no
    current node can hold is waited for (and shown as pending) instead of refused.
    """

    engine = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        cpus: int | None = None,
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
        autoscaling: bool = False,
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
        self.autoscaling = autoscaling
        self._checked = False
        self._polls = 0
        self._nodes: tuple[int, list[dict[str, float]] | None] = (-1, None)  # (poll, resources of live nodes)

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
        self.check_request()

    # ---- the request -----------------------------------------------------------------
    def node_resources(self) -> list[dict[str, float]] | None:
        """Total resources (``CPU``, ``GPU``, ``memory`` bytes...) of each live node; None if unknown.

        Read at most once a poll.
        """
        if self._nodes[0] == self._polls:
            return self._nodes[1]
        try:
            from ray.util.state import StateApiClient
            from ray.util.state.common import ListApiOptions, StateResource

            api = StateApiClient(address=self.address, headers=self.headers or None)
            listed = api.list(
                StateResource.NODES,
                options=ListApiOptions(detail=True, limit=10_000, timeout=30),
                raise_on_missing_output=False,
            )
            nodes: list[dict[str, float]] | None = [
                dict(getattr(n, "resources_total", None) or {})
                for n in listed
                if getattr(n, "state", "") == "ALIVE"
            ]
        except Exception:  # an older Ray, no state API, the head unreachable for now
            nodes = None
        # No live node at all: a head still starting, or a cluster scaled to zero; nothing to judge by.
        nodes = nodes or None
        self._nodes = (self._polls, nodes)
        return nodes

    def _fits(self, nodes: list[dict[str, float]], gpus: int) -> bool:
        return any(
            n.get("CPU", 0) >= (self.cpus or 0)
            and n.get("GPU", 0) >= gpus
            and (self.memory is None or n.get("memory", 0) >= self.memory)
            for n in nodes
        )

    def _too_big(self, nodes: list[dict[str, float]], gpus: int) -> str:
        """``largest node has 2 CPUs, 0 GPUs and 16 GiB memory; asked for cpus=8``."""
        big = {k: max((n.get(k, 0) for n in nodes), default=0) for k in ("CPU", "GPU", "memory")}
        asked = f"cpus={self.cpus}" + (f", gpus={gpus}" if gpus else "")
        asked += f", memory={self.memory / _GIB:.1f} GiB" if self.memory is not None else ""
        return (
            f"the Ray cluster at {self.address}: largest node has {big['CPU']:g} CPUs, {big['GPU']:g} GPUs "
            f"and {big['memory'] / _GIB:.0f} GiB memory; asked for {asked}"
        )

    def check_request(self) -> None:
        """Choose ``cpus`` to fit the cluster's nodes, or refuse a request no live node can hold."""
        if self._checked:
            return
        _ = self.client  # one clear error when the cluster cannot be reached
        nodes = self.node_resources()
        if self.cpus is None:
            biggest = int(max((n.get("CPU", 0) for n in nodes or []), default=0))
            self.cpus = min(DEFAULT_CPUS, biggest) if biggest >= 1 else DEFAULT_CPUS
            if nodes:
                self.request_note = (
                    f"ray: each job asks for {self.cpus} CPU(s) (the largest node has {biggest}); "
                    "set -X cpus=N to change"
                )
        if nodes is not None and not self.autoscaling and not self._fits(nodes, self.gpus):
            raise ClusterError(
                f"{self._too_big(nodes, self.gpus)}; lower the request (-X cpus=N, -X gpus=N, -X memory=BYTES), "
                "or pass -X autoscaling=true if the cluster starts bigger nodes on demand"
            )
        self._checked = True

    def _engine_unplaceable(self, sub: SubUnit) -> str | None:
        nodes = None if self.autoscaling else self.node_resources()
        if nodes is None or self._fits(nodes, sub.gpus):
            return None
        return (
            f"{self._too_big(nodes, sub.gpus)}; fix: add a node with the GPUs, lower the request, run on the "
            "CPU, or pass -X autoscaling=true if the cluster starts such nodes on demand"
        )

    def _engine_never(self, sub: SubUnit, state: str, reason: str) -> str | None:
        nodes = None if self.autoscaling else self.node_resources()
        if nodes is None or self._fits(nodes, sub.gpus):
            return None
        return (
            f"no live node can hold it any more ({self._too_big(nodes, sub.gpus)}); fix: bring such a node "
            "back, lower the request, or pass -X autoscaling=true if the cluster starts nodes on demand"
        )

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
                    entrypoint_num_cpus=self.threads,
                    entrypoint_num_gpus=s.gpus or None,
                    entrypoint_memory=self.memory,
                )
            except RuntimeError as exc:
                if "already exists" not in str(exc):  # submitted before a crash: keep it
                    raise ClusterError(f"Ray refused job {sid}: {str(exc)[-500:]}") from None

    def _engine_states(self, ids: list[str]) -> dict[str, str] | None:
        out = {}
        reasons = {}
        for sid in ids:
            try:
                info = self.client.get_job_info(sid)
            except RuntimeError as exc:
                if "does not exist" in str(exc):
                    continue
                return None
            except Exception:  # the head is unreachable for now
                return None
            status = getattr(info, "status", "")
            out[sid] = str(getattr(status, "value", status))
            if out[sid] == "PENDING":
                reasons[sid] = pending_reason(str(getattr(info, "message", "") or ""))
        self._polls += 1
        self._known.update(out)
        self._reasons = reasons
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


def pending_reason(message: str) -> str:
    """A short pending reason from a Ray job's message (Ray gives no reason code)."""
    if "waiting for resources" in message.lower():
        return "waiting for resources"
    first = message.split(". ")[0].strip().rstrip(".")
    return "" if first.lower().startswith("job has not started yet") else first[:80]
