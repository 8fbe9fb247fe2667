"""Coordinator side of a runner: start the process, authenticate it, call it, stop it.

A :class:`RunnerProcess` starts ``python -m <module>`` in its own process group with
stdout/stderr drained by a thread into a size-capped, rotating log file (never a pipe
left to fill), accepts the runner's mutual-TLS connection on 127.0.0.1 within a
handshake deadline, and then sends requests. While a request runs it watches three
things: the reply, the process (a crash is reported at once with its exit code or
signal and the log tail) and the heartbeats (none for ``heartbeat_timeout`` seconds
means a hang; the group is killed). There is no cap on how long a request may take as
long as heartbeats arrive.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.tls import LOOPBACK, ClientCredentials, RunCA
from omnirec_core.runner.serve import (
    ENV_ADDRESS,
    ENV_CA,
    ENV_CERT,
    ENV_HEARTBEAT,
    ENV_KEY,
    ENV_PARENT_PID,
    ENV_RUNNER,
    ENV_SERVER_FINGERPRINT,
)
from omnirec_core.runner.wire import (
    PROTOCOL_VERSION,
    REQUESTS,
    Connection,
    ConnectionClosed,
    Message,
    ProtocolError,
    check_reply,
    fingerprint,
)

#: How often waits wake up to look at the process (crash detection latency bound).
POLL = 0.1
#: After the socket reaches EOF, how long the process may take to finish exiting.
EXIT_WAIT = 10.0
#: Per-connection TLS handshake bound (handshakes run concurrently, so this only bounds
#: how long a silent local client keeps one thread busy).
TLS_HANDSHAKE_TIMEOUT = 10.0
LOG_CAP = 10 * 1024 * 1024
TAIL_BYTES = 4096

EventCallback = Callable[[Message], None]


class RunnerFailure(OmniRecError):
    """A runner process failed; ``log_tail`` holds the end of its output."""

    def __init__(self, message: str, *, runner: str = "", log_tail: str = "") -> None:
        super().__init__(message)
        self.runner = runner
        self.log_tail = log_tail


class RunnerError(RunnerFailure):
    """The runner's handler raised; the runner itself is still alive and usable."""

    def __init__(
        self, ename: str, evalue: str, traceback: str, *, runner: str = "", request: str = ""
    ) -> None:
        where = f"runner {runner} " if runner else "runner "
        super().__init__(f"{where}failed the {request or 'request'}: {ename}: {evalue}", runner=runner)
        self.ename, self.evalue, self.traceback, self.request = ename, evalue, traceback, request


class RunnerCrashed(RunnerFailure):
    """The runner process died (or could not start); ``returncode`` < 0 means a signal."""

    def __init__(
        self,
        message: str,
        *,
        returncode: int | None = None,
        signal_name: str = "",
        runner: str = "",
        log_tail: str = "",
    ) -> None:
        super().__init__(message, runner=runner, log_tail=log_tail)
        self.returncode, self.signal_name = returncode, signal_name


class RunnerHung(RunnerFailure):
    """The runner stopped sending heartbeats (or never completed the handshake)."""


def exit_description(returncode: int) -> tuple[str, str]:
    """(human description, signal name or "") of a process exit status."""
    if returncode >= 0:
        return f"exited with code {returncode}", ""
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    if name == "SIGKILL":
        return (
            "was killed by SIGKILL (likely out of memory: check `dmesg`, use less data or a "
            "smaller model, or give the machine more memory)"
        ), name
    return f"was killed by {name}", name


class _LogPump(threading.Thread):
    """Drains the runner's stdout/stderr pipe into ``path``, rotating at half the cap.

    Reading constantly means the runner can never block on a full pipe; rotation to
    ``path.1`` bounds the disk use to ``cap`` while keeping the most recent output.
    """

    def __init__(self, fd: int, path: Path, cap: int) -> None:
        super().__init__(name=f"omnirec-log-{path.name}", daemon=True)
        self.fd, self.path, self.part = fd, path, max(4096, cap // 2)
        self._lock = threading.Lock()
        self._fh = open(path, "ab", buffering=0)  # noqa: SIM115 - closed by the thread
        self._size = self._fh.tell()

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(data)
            self._size += len(data)
            if self._size >= self.part:
                self._fh.close()
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                self._fh = open(self.path, "ab", buffering=0)  # noqa: SIM115
                self._size = 0

    def note(self, text: str) -> None:
        """Append a coordinator-side line (start banner, forwarded log messages)."""
        self._write(text.encode("utf-8", "replace") + b"\n")

    def run(self) -> None:
        try:
            while chunk := os.read(self.fd, 1 << 16):
                # Log dir gone or disk full: keep draining anyway so the runner never blocks.
                with contextlib.suppress(OSError, ValueError):
                    self._write(chunk)
        except OSError:
            pass
        finally:
            os.close(self.fd)
            with self._lock:
                self._fh.close()

    def close_unstarted(self) -> None:
        os.close(self.fd)
        with self._lock:
            self._fh.close()

    def tail(self, max_bytes: int = TAIL_BYTES) -> str:
        with self._lock:
            data = b""
            for p in (self.path.with_name(self.path.name + ".1"), self.path):
                with contextlib.suppress(OSError):
                    data += p.read_bytes()[-max_bytes:]
        text = data[-max_bytes:].decode("utf-8", "replace")
        return text.split("\n", 1)[1] if len(data) >= max_bytes and "\n" in text else text


class RunnerProcess:
    """One runner process and its authenticated connection.

    ``env`` entries are added to the inherited environment (a ``None`` value removes a
    variable). ``tls`` is the run's :class:`RunCA`; without one, a private CA is made and
    removed at :meth:`stop`. A RunnerProcess is started once; start a new one to restart.
    """

    def __init__(
        self,
        name: str,
        python: str | os.PathLike[str],
        module: str,
        *,
        log_dir: str | os.PathLike[str],
        env: Mapping[str, str | None] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        handshake_timeout: float = 300.0,
        heartbeat_timeout: float = 120.0,
        heartbeat_interval: float | None = None,
        tls: RunCA | None = None,
        log_cap: int = LOG_CAP,
    ) -> None:
        self.name, self.python, self.module = name, str(python), module
        self.log_dir = Path(log_dir)
        self.log_path = self.log_dir / (re.sub(r"[^\w.-]", "_", name) + ".log")
        self.env = dict(env or {})
        self.cwd = cwd
        self.handshake_timeout = handshake_timeout
        self.heartbeat_timeout = heartbeat_timeout
        self.heartbeat_interval = heartbeat_interval or min(5.0, max(0.05, heartbeat_timeout / 10))
        self.log_cap = log_cap
        self._tls, self._own_tls = tls, tls is None
        self._creds: ClientCredentials | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._pump: _LogPump | None = None
        self._conn: Connection | None = None
        self._broken = False  # a call was abandoned mid-way: replies may be out of step
        self.address: tuple[str, int] | None = None
        self.hello: dict[str, Any] | None = None
        self.rejected: list[str] = []  # connection attempts refused during the handshake

    # ---- state ----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and not self._exited()

    @property
    def connection(self) -> Connection | None:
        """The live connection (for tests that inject faults)."""
        return self._conn

    def log_tail(self, max_bytes: int = TAIL_BYTES) -> str:
        """The last ``max_bytes`` of the runner's output."""
        if self._pump is not None:
            return self._pump.tail(max_bytes)
        try:
            return self.log_path.read_bytes()[-max_bytes:].decode("utf-8", "replace")
        except OSError:
            return ""

    def _exited(self) -> bool:
        """Whether the process has exited, without reaping it (its pid keeps the group id)."""
        if self._proc is None or self._proc.returncode is not None:
            return True
        try:
            res = os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return res is not None and res.si_pid != 0

    def _wait_exited(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.02, POLL))
        return True

    def _signal_group(self, sig: int) -> None:
        if self._proc is None or self._proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)  # start_new_session: pgid == pid

    def _reap(self) -> None:
        """Kill whatever is left of the group, reap the runner, release its resources."""
        if self._proc is not None and self._proc.returncode is None:
            # The unreaped leader still holds the group id, so this cannot hit a stranger.
            self._signal_group(signal.SIGKILL)
            self._proc.wait()
        if self._pump is not None and self._pump.ident is not None:
            self._pump.join(timeout=5.0)
        if self._conn is not None:
            self._conn.close()
        if self._creds is not None and self._tls is not None and not self._tls.closed:
            self._tls.discard(self._creds)
            self._creds = None
        if self._own_tls and self._tls is not None:
            self._tls.close()

    def _crashed(self, phase: str, detail: str = "") -> RunnerCrashed:
        """Reap a runner that died (or closed its end) and describe what happened."""
        if self._wait_exited(EXIT_WAIT):
            self._reap()
            assert self._proc is not None and self._proc.returncode is not None
            how, sig = exit_description(self._proc.returncode)
        else:
            self._reap()
            how, sig = "closed its connection without exiting (it was killed)", ""
        tail = self.log_tail()
        return RunnerCrashed(
            f"runner {self.name} (pid {self.pid}) {how} during {phase}{detail}. "
            f"Full log: {self.log_path}. Last output:\n{tail}",
            returncode=self.returncode,
            signal_name=sig,
            runner=self.name,
            log_tail=tail,
        )

    def _abort(self, exc: ProtocolError, phase: str, re: int | None = None) -> OmniRecError:
        """Answer a protocol violation with ``error``, then close and stop the runner."""
        if self._exited():  # a dying runner's half-written frame is a crash, not a violation
            return self._crashed(phase, f" (after: {exc})")
        if self._conn is not None:
            with contextlib.suppress(OSError, ProtocolError):
                self._conn.send(
                    "error", {"ename": "ProtocolError", "evalue": str(exc), "traceback": ""}, re=re
                )
        self._signal_group(signal.SIGKILL)
        self._reap()
        return ProtocolError(
            f"runner {self.name} broke the protocol during {phase} and was stopped: {exc}. "
            f"Full log: {self.log_path}"
        )

    # ---- start ----------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Start the runner, authenticate it and return its ``hello`` body."""
        if self._proc is not None:
            raise RuntimeError(f"runner {self.name} was already started; make a new RunnerProcess")
        if self._tls is None:
            self._tls = RunCA()
        self._creds = self._tls.issue_client(self.name)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        listener = socket.create_server((LOOPBACK, 0), backlog=8)
        try:
            self.address = listener.getsockname()[:2]
            env = dict(os.environ)
            for key, value in self.env.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
            env.update(self._settings_env())  # connection settings are not overridable
            rfd, wfd = os.pipe()
            self._pump = _LogPump(rfd, self.log_path, self.log_cap)
            self._pump.note(
                f"=== omnirec: starting runner {self.name}: {self.python} -m {self.module} "
                f"at {time.strftime('%Y-%m-%d %H:%M:%S')} ==="
            )
            try:
                self._proc = subprocess.Popen(
                    [self.python, "-m", self.module],
                    stdin=subprocess.DEVNULL,
                    stdout=wfd,
                    stderr=wfd,
                    env=env,
                    cwd=self.cwd,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                self._pump.close_unstarted()
                self._reap()
                raise RunnerCrashed(
                    f"cannot start runner {self.name}: {self.python} -m {self.module}: {exc}. "
                    "Check that the runner environment exists and its interpreter path is right.",
                    runner=self.name,
                ) from None
            finally:
                os.close(wfd)
            self._pump.start()
            deadline = time.monotonic() + self.handshake_timeout
            try:
                self._conn = Connection(self._accept(listener, deadline))
                self.hello = self._read_hello(deadline)
                # The runner holds its key in memory now; the file has no further use.
                self._tls.discard(self._creds)
                self._creds = None
            except BaseException:
                if self._proc.returncode is None and not self._exited():
                    self._signal_group(signal.SIGKILL)
                self._reap()
                raise
        finally:
            listener.close()
        return self.hello

    def _settings_env(self) -> dict[str, str]:
        assert self._tls is not None and self._creds is not None and self.address is not None
        return {
            ENV_ADDRESS: f"{self.address[0]}:{self.address[1]}",
            ENV_CA: str(self._tls.ca_path),
            ENV_CERT: str(self._creds.cert_path),
            ENV_KEY: str(self._creds.key_path),
            ENV_SERVER_FINGERPRINT: self._tls.server_fingerprint,
            ENV_RUNNER: self.name,
            ENV_HEARTBEAT: repr(self.heartbeat_interval),
            ENV_PARENT_PID: str(os.getpid()),
            "PYTHONUNBUFFERED": "1",
        }

    def _before_deadline(self, deadline: float, phase: str) -> float:
        if self._exited():
            raise self._crashed(phase)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            tail = self.log_tail()
            raise RunnerHung(
                f"runner {self.name} did not complete the handshake within "
                f"{self.handshake_timeout:g} s (a slow import? raise handshake_timeout). "
                f"Full log: {self.log_path}. Last output:\n{tail}",
                runner=self.name,
                log_tail=tail,
            )
        return remaining

    def _accept(self, listener: socket.socket, deadline: float) -> ssl.SSLSocket:
        """Accept connections until one presents this runner's certificate.

        Each TLS handshake runs in its own thread with a short deadline, so silent or slow
        local clients can neither delay the real runner nor fill the listen backlog.
        """
        assert self._tls is not None and self._creds is not None
        ctx, expected = self._tls.server_context(), self._creds.fingerprint
        authenticated: list[ssl.SSLSocket] = []
        lock = threading.Lock()
        done = False  # set under the lock once the loop ends: late handshakes close their socket

        def handshake(raw: socket.socket, peer: Any) -> None:
            raw.settimeout(TLS_HANDSHAKE_TIMEOUT)
            try:
                sock = ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                raw.close()
                self.rejected.append(f"{peer}: TLS handshake failed: {exc}")
                return
            got = fingerprint(sock.getpeercert(binary_form=True) or b"")
            if got != expected:
                sock.close()
                self.rejected.append(f"{peer}: client certificate {got[:16]}... is not this runner's")
                return
            with lock:
                if done or authenticated:
                    sock.close()
                else:
                    authenticated.append(sock)

        listener.settimeout(POLL)
        phase = "startup (before the handshake)"
        try:
            while True:
                self._before_deadline(deadline, phase)
                with lock:
                    if authenticated:
                        sock = authenticated.pop()
                        sock.settimeout(None)
                        return sock
                try:
                    raw, peer = listener.accept()
                except TimeoutError:
                    continue
                threading.Thread(
                    target=handshake, args=(raw, peer), name="omnirec-tls-handshake", daemon=True
                ).start()
        finally:
            with lock:
                done = True
                for leftover in authenticated:
                    leftover.close()

    def _read_hello(self, deadline: float) -> dict[str, Any]:
        assert self._conn is not None
        phase = "the handshake"
        while True:
            self._before_deadline(deadline, phase)
            try:
                msg = self._conn.recv(timeout=POLL)
            except ConnectionClosed:
                raise self._crashed(phase) from None
            except ProtocolError as exc:
                raise self._abort(exc, phase) from None
            if msg is None:
                continue
            if msg.type != "hello":
                raise self._abort(ProtocolError(f"expected hello, got {msg.type}"), phase)
            if msg.body["protocol"] != PROTOCOL_VERSION:
                raise self._abort(
                    ProtocolError(
                        f"runner speaks protocol {msg.body['protocol']}, this coordinator speaks "
                        f"{PROTOCOL_VERSION}; reinstall the runner env with a matching omnirec-core"
                    ),
                    phase,
                )
            try:
                self._conn.send("ok", {}, re=msg.id)
            except OSError:
                raise self._crashed(phase) from None
            return msg.body

    # ---- calls ----------------------------------------------------------------------

    def call(self, type_: str, body: dict[str, Any], on_event: EventCallback | None = None) -> dict[str, Any]:
        """Send a ``fit``/``predict``/``shutdown`` request and return the ``ok`` body.

        ``on_event`` sees every ``heartbeat`` and ``log`` message meanwhile (``log``
        lines also go to the runner's log file). Raises :class:`RunnerError` when the
        handler failed (the runner stays usable), :class:`RunnerCrashed`,
        :class:`RunnerHung` or :class:`ProtocolError` when the runner is gone or was
        stopped.
        """
        if type_ not in REQUESTS:
            raise ValueError(f"{type_!r} is not a request type ({', '.join(sorted(REQUESTS))})")
        if self._conn is None or self._proc is None or self._proc.returncode is not None:
            raise RunnerCrashed(
                f"runner {self.name} is not running; start a new RunnerProcess",
                runner=self.name,
                returncode=self.returncode,
            )
        if self._broken:
            raise RunnerCrashed(
                f"runner {self.name} is out of step after an interrupted call; stop it and start a new one",
                runner=self.name,
            )
        phase = type_
        try:
            req_id = self._conn.send(type_, body)  # ProtocolError here: our body is invalid
        except OSError:
            raise self._crashed(phase) from None
        self._broken = True
        last = time.monotonic()
        while True:
            try:
                msg = self._conn.recv(timeout=POLL)
            except ConnectionClosed:
                raise self._crashed(phase) from None
            except ProtocolError as exc:
                raise self._abort(exc, phase) from None
            now = time.monotonic()
            if msg is None:
                if self._exited():
                    raise self._crashed(phase)
                if now - last > self.heartbeat_timeout:
                    self._signal_group(signal.SIGKILL)
                    self._reap()
                    tail = self.log_tail()
                    raise RunnerHung(
                        f"runner {self.name} (pid {self.pid}) sent no heartbeat for "
                        f"{self.heartbeat_timeout:g} s during {phase} and was killed (hung, or a "
                        f"call holding the GIL that long: raise heartbeat_timeout). "
                        f"Full log: {self.log_path}. Last output:\n{tail}",
                        runner=self.name,
                        log_tail=tail,
                    )
                continue
            last = now
            if msg.type in ("heartbeat", "log"):
                if msg.type == "log" and self._pump is not None:
                    self._pump.note(f"[{msg.body['level']}] {msg.body['message']}")
                if on_event is not None:
                    on_event(msg)
                continue
            if msg.type in ("ok", "error") and msg.re == req_id:
                self._broken = False
                if msg.type == "error":
                    b = msg.body
                    raise RunnerError(
                        b["ename"], b["evalue"], b["traceback"], runner=self.name, request=type_
                    )
                try:
                    return check_reply(type_, msg.body)
                except ProtocolError as exc:
                    raise self._abort(exc, phase, msg.id) from None
            if msg.type == "error" and msg.re is None:  # the runner refused something we sent
                raise self._abort(ProtocolError(f"the runner reported: {msg.body['evalue']}"), phase)
            raise self._abort(
                ProtocolError(
                    f"unexpected {msg.type} message (re={msg.re}) "
                    f"while waiting for the reply to {type_} #{req_id}"
                ),
                phase,
            )

    # ---- stop -----------------------------------------------------------------------

    def stop(self, grace: float = 5.0) -> int | None:
        """Ask the runner to shut down; TERM, then KILL its group if it does not; reap it.

        Returns the exit status (negative: killed by that signal). Safe to call twice.
        """
        if self._proc is None:
            if self._own_tls and self._tls is not None:
                self._tls.close()
            return None
        if self._proc.returncode is None and not self._exited() and self._conn is not None:
            self._request_shutdown(grace)
            if not self._wait_exited(grace):
                self._signal_group(signal.SIGTERM)
                if not self._wait_exited(grace):
                    self._signal_group(signal.SIGKILL)
        self._reap()
        return self._proc.returncode

    def _request_shutdown(self, grace: float) -> None:
        assert self._conn is not None
        deadline = time.monotonic() + grace
        try:
            sid = self._conn.send("shutdown", {})
            while time.monotonic() < deadline:
                msg = self._conn.recv(timeout=POLL)
                if msg is not None and msg.type in ("ok", "error") and msg.re == sid:
                    return
                if msg is None and self._exited():
                    return
        except (OSError, ProtocolError):
            return  # gone or garbled: TERM/KILL follow

    def __enter__(self) -> RunnerProcess:
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
