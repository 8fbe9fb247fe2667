"""Runner-side SDK: connect back to the coordinator and serve a :class:`Handler`.

A runner plugin's ``worker.py`` ends with ``main(MyHandler())``. The coordinator starts
it as ``python -m <worker_module>`` with connection settings in environment variables;
the SDK connects over mutual TLS, verifies the coordinator's pinned certificate, says
``hello``, and then turns ``fit`` / ``predict`` messages into :class:`FitRequest` /
:class:`PredictRequest` objects, calls the handler in the main thread while a
heartbeat thread keeps the coordinator informed, and writes predictions as column files.

Imports only the stdlib, numpy, :mod:`omnirec_core.runner.wire` and
:mod:`omnirec_core.runner.api`: this runs inside every framework's env.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import platform
import socket
import ssl
import sys
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from omnirec_core import __version__
from omnirec_core.runner import FitRequest, Handler, Prediction, PredictRequest
from omnirec_core.runner.columns import write_columns
from omnirec_core.runner.errors import ConnectionClosed, ProtocolError
from omnirec_core.runner.messages import PROTOCOL_VERSION, FitMessage, HelloMessage, PredictMessage
from omnirec_core.runner.topk import grouped_ranks, widening, without_known
from omnirec_core.runner.wire import Connection, Message, fingerprint

# Environment variables the coordinator sets for the runner process.
ENV_ADDRESS = "OMNIREC_ADDRESS"  # "127.0.0.1:port"
ENV_CA = "OMNIREC_TLS_CA"
ENV_CERT = "OMNIREC_TLS_CERT"
ENV_KEY = "OMNIREC_TLS_KEY"
ENV_SERVER_FINGERPRINT = "OMNIREC_SERVER_FINGERPRINT"
ENV_RUNNER = "OMNIREC_RUNNER"
ENV_HEARTBEAT = "OMNIREC_HEARTBEAT"  # seconds between heartbeats while busy
ENV_PARENT_PID = "OMNIREC_PARENT_PID"
ENV_VARS = (
    ENV_ADDRESS,
    ENV_CA,
    ENV_CERT,
    ENV_KEY,
    ENV_SERVER_FINGERPRINT,
    ENV_RUNNER,
    ENV_HEARTBEAT,
    ENV_PARENT_PID,
)

EXIT_OK = 0
EXIT_PROTOCOL = 2  # the coordinator sent something invalid
EXIT_ORPHANED = 3  # the coordinator went away
EXIT_CONNECT = 4  # could not connect or authenticate

#: Longest error text or traceback sent back; keeps error frames far below the cap.
MAX_TEXT = 64 * 1024
PARENT_POLL = 0.5


def _say(text: str) -> None:
    """Print a line to stderr (the runner log); the log pipe may be gone with the coordinator."""
    with contextlib.suppress(OSError, ValueError):
        print(f"omnirec worker: {text}", file=sys.stderr, flush=True)


class WorkerSetupError(RuntimeError):
    """The worker was started without the coordinator's connection settings."""


@dataclass(frozen=True)
class Settings:
    """Connection settings the coordinator passes in the environment."""

    host: str
    port: int
    ca: str
    cert: str
    key: str
    server_fingerprint: str
    runner: str
    heartbeat: float = 5.0
    parent_pid: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [v for v in ENV_VARS[:6] if not env.get(v)]
        if missing:
            raise WorkerSetupError(
                f"missing {', '.join(missing)}: this module is a runner worker that the omnirec "
                "coordinator starts itself; run experiments through omnirec, not this module"
            )
        host, _, port = env[ENV_ADDRESS].rpartition(":")
        try:
            return cls(
                host=host,
                port=int(port),
                ca=env[ENV_CA],
                cert=env[ENV_CERT],
                key=env[ENV_KEY],
                server_fingerprint=env[ENV_SERVER_FINGERPRINT].lower(),
                runner=env[ENV_RUNNER],
                heartbeat=float(env.get(ENV_HEARTBEAT) or 5.0),
                parent_pid=int(env.get(ENV_PARENT_PID) or 0),
            )
        except ValueError as exc:
            raise WorkerSetupError(f"bad omnirec connection settings: {exc}") from None


# ---- connecting ---------------------------------------------------------------------


def client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    """TLS 1.3 client context: verify the server against the run CA, present our cert."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + hostname check
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(cafile=ca)
    ctx.load_cert_chain(cert, key)
    return ctx


def connect(settings: Settings, timeout: float = 30.0) -> Connection:
    """Open the TLS connection to the coordinator and check its pinned fingerprint."""
    ctx = client_context(settings.ca, settings.cert, settings.key)
    raw = socket.create_connection((settings.host, settings.port), timeout=timeout)
    try:
        sock = ctx.wrap_socket(raw, server_hostname=settings.host)
    except BaseException:
        raw.close()
        raise
    got = fingerprint(sock.getpeercert(binary_form=True) or b"")
    if not hmac.compare_digest(got, settings.server_fingerprint):
        sock.close()
        raise ProtocolError(
            f"the server at {settings.host}:{settings.port} presented certificate {got[:16]}..., "
            "not the one the coordinator announced; refusing to talk to it"
        )
    sock.settimeout(None)
    return Connection(sock)


# ---- writing predictions ----------------------------------------------------------


def prediction_reply(pred: Prediction, req: PredictRequest, out_dir: str | Path) -> dict[str, Any]:
    """Write a handler's Prediction as column files under ``out_dir``; the ok body."""
    if not isinstance(pred, Prediction):
        raise TypeError(f"predict() must return a Prediction, not {type(pred).__name__}")
    out = Path(out_dir)
    reply: dict[str, Any] = {"topk": None, "pairs": None, "info": to_plain(pred.info)}
    if req.users is not None and req.k > 0 and pred.user is None:
        raise ValueError("top-K lists were requested but predict() returned none (Prediction.user is None)")
    if pred.user is not None:
        user, item, score = (np.asarray(a) for a in (pred.user, pred.item, pred.score))
        if not (user.ndim == item.ndim == score.ndim == 1 and len(user) == len(item) == len(score)):
            raise ValueError(
                f"Prediction.user/item/score must be 1-d arrays of one length, got shapes "
                f"{user.shape}, {item.shape}, {score.shape}"
            )
        order, rank = grouped_ranks(user)
        reply["topk"] = write_columns(
            out / "topk",
            {"user": user[order], "item": item[order], "score": score[order], "rank": rank},
        )
    if req.pairs is not None:
        if pred.pair_score is None:
            raise ValueError("pair scores were requested but predict() returned none (pair_score is None)")
        ps = np.asarray(pred.pair_score)
        if ps.shape != (len(req.pairs),):
            raise ValueError(f"pair_score has shape {ps.shape}, expected ({len(req.pairs)},)")
        reply["pairs"] = write_columns(
            out / "pairs", {"user": req.pairs.user, "item": req.pairs.item, "score": ps}
        )
    return reply


def to_plain(value: Any, depth: int = 0) -> Any:
    """Make handler output (info dicts) msgpack-safe: numpy scalars to Python, rest to str."""
    if depth > 16:
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, dict):
        return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, depth + 1) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size <= 1000:
        return value.tolist()
    return str(value)


def error_body(exc: BaseException) -> dict[str, str]:
    """The ``error`` body for an exception (texts capped so the frame stays small)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"ename": type(exc).__name__, "evalue": str(exc)[:MAX_TEXT], "traceback": tb[-MAX_TEXT:]}


# ---- serving ------------------------------------------------------------------------


class Session:
    """The live connection to the coordinator while :func:`serve` runs.

    A handler reaches it as ``self.session``. :meth:`log` reports progress; the other
    members exist for fault-injection tests (a runner that hangs with the GIL held, or
    writes a broken frame): real handlers never need them.
    """

    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self.busy = threading.Event()
        self.heartbeats_on = threading.Event()
        self.heartbeats_on.set()

    def log(self, message: str, level: str = "info") -> None:
        """Send a progress line while a request runs (else print it to the runner log)."""
        if self.busy.is_set():
            try:
                self.connection.send("log", {"level": str(level), "message": str(message)[:MAX_TEXT]})
                return
            except (OSError, ProtocolError):
                pass
        with contextlib.suppress(OSError, ValueError):
            print(f"[{level}] {message}", file=sys.stderr, flush=True)

    def suspend_heartbeats(self) -> None:
        """Stop heartbeats while the handler keeps running (simulates a hang; tests only)."""
        self.heartbeats_on.clear()

    def resume_heartbeats(self) -> None:
        self.heartbeats_on.set()


_session: Session | None = None


def log(message: str, level: str = "info") -> None:
    """Report progress to the coordinator while a request runs (else print to stderr)."""
    if _session is not None:
        _session.log(message, level)
        return
    with contextlib.suppress(OSError, ValueError):
        print(f"[{level}] {message}", file=sys.stderr, flush=True)


class _Heartbeat:
    """Sends ``heartbeat`` every ``interval`` seconds while a request is being handled."""

    def __init__(self, session: Session, interval: float) -> None:
        self.session = session
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="omnirec-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.session.heartbeats_on.is_set():
                continue
            try:
                self.session.connection.send("heartbeat", {})
            except (OSError, ProtocolError):
                # The coordinator is gone; the handler cannot be interrupted, so leave now.
                _say("coordinator connection lost while busy; exiting")
                os._exit(EXIT_ORPHANED)


def _watch_parent(parent_pid: int) -> None:
    """Exit when the coordinator process dies, even while a handler is busy."""
    initial = os.getppid()
    while True:
        time.sleep(PARENT_POLL)
        gone = os.getppid() != initial
        if parent_pid and not gone:
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                gone = True
            except PermissionError:
                pass
        if gone:
            _say("coordinator process is gone; exiting")
            os._exit(EXIT_ORPHANED)


def hello_body(handler: Handler, settings: Settings) -> dict[str, Any]:
    return HelloMessage(
        protocol=PROTOCOL_VERSION,
        runner=str(getattr(handler, "name", settings.runner)),
        framework_version=str(handler.framework_version()),
        python=platform.python_version(),
        pid=os.getpid(),
        sdk=__version__,
    ).to_body()


def device_used(requested: str) -> dict[str, str]:
    """The device this runner process actually computed on, as far as the process can tell.

    A process that initialised CUDA (through torch, which every GPU-capable framework
    here uses) ran on that GPU; any other ran on the CPU, whatever was requested.
    """
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    try:
        if cuda is not None and cuda.is_initialized():
            index = cuda.current_device()
            return {"device": f"cuda:{index}", "gpu": str(cuda.get_device_name(index))}
    except Exception as exc:  # a broken CUDA setup must not fail a finished fit
        return {"device": f"unknown ({type(exc).__name__}: {exc})"[:200]}
    return {"device": "cpu"}


def _run_request(handler: Handler, msg: Message) -> dict[str, Any]:
    if msg.type == "fit":
        req = FitRequest.load(FitMessage.from_body(msg.body))
        req.job_dir.mkdir(parents=True, exist_ok=True)
        # The handler's own time (config check included: its first call imports the
        # framework), so the coordinator's overhead can be told apart.
        t0 = time.perf_counter()
        handler.check_config(req.algorithm, req.config)
        info = dict(handler.fit(req) or {})
        info["handler_s"] = time.perf_counter() - t0
        info.setdefault("device_requested", req.device)
        for key, value in device_used(req.device).items():
            info.setdefault(key, value)
        return {"info": to_plain(info)}
    message = PredictMessage.from_body(msg.body)
    preq = PredictRequest.load(message)
    t0 = time.perf_counter()
    handler.check_config(preq.algorithm, preq.config)
    pred = served_prediction(handler, preq)
    pred.info = {**pred.info, "handler_s": time.perf_counter() - t0}
    return prediction_reply(pred, preq, message.out_dir)


def served_prediction(handler: Handler, req: PredictRequest) -> Prediction:
    """What the runner returns for ``req``: the handler's prediction and, with
    ``exclude_val``, its lists without validation items.

    Test harnesses call it to predict outside a session exactly as a served request does.

    Handlers exclude training items themselves; validation items are removed here, for
    every handler alike: users are asked for k plus room for their validation items (in
    a few groups of similar room), the items are dropped and each list is cut to k.
    """
    val = req.val
    if not (req.exclude_val and val is not None and len(val) and req.users is not None and req.k > 0):
        return handler.predict(req)
    users = np.asarray(req.users, dtype=np.int64)
    room = widening(np.bincount(val.user, minlength=req.n_users)[users])
    parts, info = [], {}
    for extra in np.unique(room):
        group = replace(req, users=users[room == extra], k=req.k + int(extra), pairs=None)
        got = handler.predict(group)
        if got.user is None or got.item is None or got.score is None:
            raise ValueError(
                "top-K lists were requested but predict() returned none (Prediction.user is None)"
            )
        parts.append(
            without_known(
                np.asarray(got.user), np.asarray(got.item), np.asarray(got.score), val, req.n_items, req.k
            )
        )
        info.update(got.info)
    user, item, score = (np.concatenate([p[i] for p in parts]) for i in range(3))
    out = Prediction(user=user, item=item, score=score, info=info)
    if req.pairs is not None:
        out.pair_score = handler.predict(replace(req, users=None, k=0)).pair_score
    return out


def _handle(session: Session, handler: Handler, msg: Message, interval: float) -> None:
    session.busy.set()
    try:
        with _Heartbeat(session, interval):
            try:
                kind, body = "ok", _run_request(handler, msg)
            except Exception as exc:  # handler failures go back to the coordinator
                kind, body = "error", error_body(exc)
    finally:
        session.busy.clear()
    try:
        session.connection.send(kind, body, re=msg.id)
    except ProtocolError as exc:  # e.g. an info dict too large to frame
        session.connection.send("error", error_body(exc), re=msg.id)


def _refuse(conn: Connection, exc: Exception, re: int | None = None) -> int:
    _say(f"protocol error: {exc}")
    with contextlib.suppress(OSError, ProtocolError):
        conn.send("error", error_body(exc), re=re)
    return EXIT_PROTOCOL


def serve(handler: Handler, settings: Settings | None = None) -> int:
    """Connect, say hello and serve requests until ``shutdown``; return the exit code."""
    global _session
    settings = settings or Settings.from_env()
    for var in ENV_VARS:  # framework subprocesses need not see where our key lives
        os.environ.pop(var, None)
    threading.Thread(
        target=_watch_parent, args=(settings.parent_pid,), name="omnirec-parent", daemon=True
    ).start()
    try:
        conn = connect(settings)
    except (OSError, ProtocolError) as exc:
        _say(f"cannot connect to the coordinator: {exc}")
        return EXIT_CONNECT
    session = _session = Session(conn)
    handler.session = session
    try:
        try:
            hello_id = conn.send("hello", hello_body(handler, settings))
            reply = conn.recv()
        except (OSError, ProtocolError) as exc:
            # With TLS 1.3 a rejected client certificate surfaces here, on the first read.
            _say(f"handshake with the coordinator failed: {exc}")
            return EXIT_CONNECT
        if reply is None or reply.type != "ok" or reply.re != hello_id:
            evalue = reply.body.get("evalue", reply.type) if reply else "no reply"
            _say(f"coordinator refused the handshake: {evalue}")
            return EXIT_CONNECT
        while True:
            try:
                msg = conn.recv()
            except ConnectionClosed:
                _say("coordinator closed the connection; exiting")
                return EXIT_ORPHANED
            except ProtocolError as exc:
                return _refuse(conn, exc)
            if msg is None:
                continue
            if msg.type == "shutdown":
                conn.send("ok", {}, re=msg.id)
                return EXIT_OK
            if msg.type not in ("fit", "predict"):
                return _refuse(
                    conn, ProtocolError(f"unexpected {msg.type} message from the coordinator"), msg.id
                )
            try:
                _handle(session, handler, msg, settings.heartbeat)
            except OSError:
                _say("coordinator connection lost; exiting")
                return EXIT_ORPHANED
    finally:
        _session = None
        conn.close()


def main(handler: Handler) -> NoReturn:
    """Entry point for a runner's ``worker.py``: serve ``handler`` and exit with its code."""
    try:
        code = serve(handler)
    except WorkerSetupError as exc:
        _say(str(exc))
        code = EXIT_CONNECT
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # Every artifact is already fsynced; skipping interpreter teardown (about a second
    # for torch-based frameworks) makes stopping a runner immediate.
    os._exit(code)
