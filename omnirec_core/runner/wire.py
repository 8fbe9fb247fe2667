"""Framing and message schema of the coordinator <-> runner protocol.

Stdlib + msgpack only: this module runs inside every runner env. A frame is a 4-byte
big-endian length followed by one msgpack map, the envelope
``{"v": 1, "id": n, "type": str, "body": {...}}`` (replies add ``"re": id``). Every
problem with bytes from the peer raises :class:`ProtocolError`; nothing else escapes the
decoder. The body schema of every message type is derived from the records in
:mod:`omnirec_core.runner.messages` (see ``docs/protocol.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack

from omnirec_core.runner.errors import ConnectionClosed, ProtocolError
from omnirec_core.runner.messages import BODY_SCHEMA, FEEDBACK, PROTOCOL_VERSION, REQUESTS, TYPES

#: Largest frame payload accepted or sent; bulk data travels as column files instead.
MAX_FRAME = 16 * 1024 * 1024
HEADER = struct.Struct(">I")
#: Deepest nesting accepted in a body (configs are small, flat-ish JSON-like values).
MAX_DEPTH = 32
ENVELOPE_KEYS = frozenset({"v", "id", "type", "body", "re"})


@dataclass(frozen=True)
class Message:
    """One decoded, validated envelope."""

    type: str
    id: int
    body: dict[str, Any] = field(default_factory=dict)
    re: int | None = None


# The body schema of every message type comes from the records in runner.messages:
# field -> (accepted types, required). Extra fields are ignored so that a newer peer can
# add optional fields without a version bump; a missing or mistyped field is an error.
_INT = (int,)

#: Columns each column-file description must have, by where it appears.
REQUIRED_COLUMNS = {
    "train": ("user", "item"),
    "val": ("user", "item"),
    "users": ("user",),
    "pairs": ("user", "item"),
    "topk_reply": ("user", "item", "score", "rank"),
    "pairs_reply": ("user", "item", "score"),
}


def _typename(value: Any) -> str:
    return type(value).__name__


def _is(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int subclass; a flag is never a count or an id.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _check_plain(value: Any, where: str, depth: int = 0) -> None:
    """Only JSON-like values (plus bytes) may appear in bodies."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ProtocolError(f"{where} has a non-string key {k!r}")
            _check_plain(v, f"{where}.{k}", depth + 1)
        return
    raise ProtocolError(f"{where} holds a {_typename(value)}, not a plain value")


def check_columns(desc: Any, where: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validate a column-file description (``runner_api.write_columns``'s return value)."""
    if not isinstance(desc, dict):
        raise ProtocolError(f"{where} must be a column description map, got {_typename(desc)}")
    rows, cols = desc.get("rows"), desc.get("columns")
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise ProtocolError(f"{where}.rows must be a non-negative int, got {rows!r}")
    if not isinstance(cols, dict):
        raise ProtocolError(f"{where}.columns must be a map, got {_typename(cols)}")
    for name, col in cols.items():
        if not isinstance(col, dict):
            raise ProtocolError(f"{where}.columns.{name} must be a map")
        for key in ("path", "sha256", "dtype"):
            if not isinstance(col.get(key), str):
                raise ProtocolError(f"{where}.columns.{name}.{key} must be a string")
    missing = [c for c in required if c not in cols]
    if missing:
        raise ProtocolError(f"{where} lacks column(s) {', '.join(missing)}")
    return desc


def check_body(type_: str, body: Any) -> dict[str, Any]:
    """Validate ``body`` against the schema of message type ``type_``; return it."""
    if not isinstance(body, dict):
        raise ProtocolError(f"{type_} body must be a map, got {_typename(body)}")
    _check_plain(body, f"{type_}.body")
    for name, (types, required) in BODY_SCHEMA[type_].items():
        if name not in body:
            if required:
                raise ProtocolError(f"{type_} message lacks field {name!r}")
            continue
        if not _is(body[name], types):
            want = "/".join("nil" if t is type(None) else t.__name__ for t in types)
            raise ProtocolError(
                f"{type_}.{name} must be {want}, got {_typename(body[name])} {body[name]!r:.60}"
            )
    if type_ in ("fit", "predict"):
        data = body["data"]
        check_columns(data.get("train"), f"{type_}.data.train", REQUIRED_COLUMNS["train"])
        if data.get("val") is not None:
            check_columns(data["val"], f"{type_}.data.val", REQUIRED_COLUMNS["val"])
        if body["feedback"] not in FEEDBACK:
            raise ProtocolError(f"{type_}.feedback must be one of {FEEDBACK}, got {body['feedback']!r}")
        for name in ("n_users", "n_items", "threads"):
            if body[name] < 0:
                raise ProtocolError(f"{type_}.{name} must not be negative")
    if type_ == "predict":
        if body["k"] < 0:
            raise ProtocolError("predict.k must not be negative")
        for name in ("users", "pairs"):
            if body[name] is not None:
                check_columns(body[name], f"predict.{name}", REQUIRED_COLUMNS[name])
    return body


def check_reply(request_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """Validate the ``ok`` body that answers a ``request_type`` request."""
    if request_type in ("fit", "predict"):
        info = body.get("info", {})
        if not isinstance(info, dict):
            raise ProtocolError(f"ok reply to {request_type}: info must be a map")
    if request_type == "predict":
        for name in ("topk", "pairs"):
            if body.get(name) is not None:
                check_columns(body[name], f"ok.{name}", REQUIRED_COLUMNS[f"{name}_reply"])
    return body


def check_envelope(obj: Any) -> Message:
    """Turn a decoded msgpack object into a :class:`Message`, or raise ProtocolError."""
    if not isinstance(obj, dict):
        raise ProtocolError(f"frame must hold a map, got {_typename(obj)}")
    extra = set(obj) - ENVELOPE_KEYS
    if extra:
        raise ProtocolError(f"unknown envelope field(s): {sorted(map(str, extra))}")
    for key in ("v", "id", "type", "body"):
        if key not in obj:
            raise ProtocolError(f"envelope lacks {key!r}")
    v, id_, type_, re = obj["v"], obj["id"], obj["type"], obj.get("re")
    if not _is(v, _INT) or v != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {v!r} (this side speaks {PROTOCOL_VERSION})")
    if not _is(id_, _INT) or not 0 <= id_ < 2**63:
        raise ProtocolError(f"message id must be a non-negative int, got {id_!r}")
    if not isinstance(type_, str) or type_ not in TYPES:
        raise ProtocolError(f"unknown message type {type_!r}")
    if re is not None and (not _is(re, _INT) or not 0 <= re < 2**63):
        raise ProtocolError(f"'re' must be a message id, got {re!r}")
    if type_ == "ok" and re is None:
        raise ProtocolError("an ok message must say which request it answers ('re')")
    if re is not None and type_ not in ("ok", "error"):
        raise ProtocolError(f"a {type_} message cannot be a reply")
    return Message(type_, id_, check_body(type_, obj["body"]), re)


def _no_ext(code: int, data: bytes) -> Any:
    raise ProtocolError(f"msgpack extension type {code} is not allowed")


def decode_payload(payload: bytes) -> Message:
    """Decode one frame payload (without its length prefix)."""
    try:
        # A fresh unpacker per frame: no state carries over from a bad frame.
        obj = msgpack.unpackb(payload, raw=False, strict_map_key=True, ext_hook=_no_ext, use_list=True)
    except ProtocolError:
        raise
    except Exception as exc:  # msgpack raises many types (ValueError, ExtraData, StackError...)
        raise ProtocolError(f"undecodable frame ({type(exc).__name__}: {exc})") from None
    return check_envelope(obj)


def encode(msg: Message, *, max_frame: int = MAX_FRAME) -> bytes:
    """Validate and frame one message (length prefix included)."""
    env: dict[str, Any] = {"v": PROTOCOL_VERSION, "id": msg.id, "type": msg.type, "body": msg.body}
    if msg.re is not None:
        env["re"] = msg.re
    check_envelope(env)
    try:
        payload: bytes = msgpack.packb(env, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(f"cannot encode {msg.type} message: {exc}") from None
    if len(payload) > max_frame:
        raise ProtocolError(f"{msg.type} message is {len(payload)} bytes, over the {max_frame}-byte cap")
    return HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Incremental (sans-IO) decoder: feed bytes, get whole validated messages.

    The length is checked against the cap as soon as the 4-byte prefix is in, before any
    payload is buffered. After an error the decoder stays broken: the stream cannot be
    resynchronised, so the connection must be closed.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self._error: ProtocolError | None = None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole frame."""
        return len(self._buf)

    def needed(self) -> int:
        """Bytes still missing for the frame in progress (at least 1)."""
        if len(self._buf) < HEADER.size:
            return HEADER.size - len(self._buf)
        (length,) = HEADER.unpack_from(self._buf)
        return max(1, HEADER.size + int(length) - len(self._buf))

    def feed(self, data: bytes) -> list[Message]:
        if self._error is not None:
            raise self._error
        self._buf += data
        out: list[Message] = []
        try:
            while len(self._buf) >= HEADER.size:
                (n,) = HEADER.unpack_from(self._buf)
                if n > self.max_frame:
                    raise ProtocolError(f"frame of {n} bytes announced, over the {self.max_frame}-byte cap")
                if len(self._buf) < HEADER.size + n:
                    break
                payload = bytes(self._buf[HEADER.size : HEADER.size + n])
                del self._buf[: HEADER.size + n]
                out.append(decode_payload(payload))
        except ProtocolError as exc:
            self._error = exc
            raise
        return out


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint (lowercase hex) of a DER certificate: what each side pins."""
    return hashlib.sha256(der).hexdigest()


class Connection:
    """Message I/O over a connected (TLS) socket.

    One thread reads; any thread may send (sends are serialised by a lock and never
    interleave a frame). Reads take a timeout so callers can watch a process and a
    heartbeat deadline without blocking forever.
    """

    def __init__(self, sock: socket.socket, *, max_frame: int = MAX_FRAME) -> None:
        self.sock = sock
        self.max_frame = max_frame
        self._decoder = FrameDecoder(max_frame)
        self._ready: list[Message] = []
        self._send_lock = threading.Lock()
        self._next_id = 1
        self.closed = False

    def send(self, type_: str, body: dict[str, Any] | None = None, *, re: int | None = None) -> int:
        """Send one message; return its id. Raises ProtocolError for an invalid message
        and OSError when the peer is gone."""
        with self._send_lock:
            msg = Message(type_, self._next_id, body or {}, re)
            frame = encode(msg, max_frame=self.max_frame)
            self._next_id += 1
            self.sock.sendall(frame)
            return msg.id

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (fault-injection tests only)."""
        with self._send_lock:
            self.sock.sendall(data)

    def recv(self, timeout: float | None = None) -> Message | None:
        """The next message, or ``None`` when ``timeout`` seconds pass without one.

        Raises :class:`ConnectionClosed` on a clean EOF and :class:`ProtocolError` on a
        malformed frame, a truncated frame or a TLS failure.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(min(max(self._decoder.needed(), 65536), 1 << 22))
            except TimeoutError:
                return None
            except ssl.SSLError as exc:
                raise ProtocolError(f"TLS error from peer: {exc}") from None
            except OSError as exc:  # reset by peer, broken pipe: the peer is gone
                raise ConnectionClosed(f"connection lost: {exc}") from None
            if not chunk:
                if self._decoder.pending:
                    raise ProtocolError(
                        f"connection closed in the middle of a frame ({self._decoder.pending} bytes buffered)"
                    )
                raise ConnectionClosed("peer closed the connection")
            self._ready.extend(self._decoder.feed(chunk))
        return self._ready.pop(0)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()


__all__ = [
    "BODY_SCHEMA",
    "MAX_FRAME",
    "PROTOCOL_VERSION",
    "REQUESTS",
    "TYPES",
    "Connection",
    "ConnectionClosed",
    "FrameDecoder",
    "Message",
    "ProtocolError",
    "check_body",
    "check_columns",
    "check_envelope",
    "check_reply",
    "decode_payload",
    "encode",
    "fingerprint",
]
