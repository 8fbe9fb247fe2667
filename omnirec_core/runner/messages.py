"""The bodies of the coordinator <-> runner messages, defined once as typed records.

Each record knows its message type, builds its wire body (:meth:`Body.to_body`) and reads
one back (:meth:`Body.from_body`); :mod:`omnirec_core.runner.wire` derives the schema it
validates every frame against from these fields (:func:`schema`). The coordinator builds
:class:`FitMessage` / :class:`PredictMessage`; the runner SDK turns them into the
``FitRequest`` / ``PredictRequest`` a handler sees, with the column files loaded.

Stdlib only: this runs inside every runner env.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, get_args, get_origin, get_type_hints

#: Protocol version spoken by this side; the hello message carries it.
PROTOCOL_VERSION = 1

Feedback = Literal["implicit", "explicit"]
FEEDBACK: tuple[str, ...] = get_args(Feedback)

#: A column-file description (``columns.write_columns``' return value).
ColumnsDesc = dict[str, Any]

B = TypeVar("B", bound="Body")


@dataclass(frozen=True, kw_only=True)
class Body:
    """Base of every message body: ``TYPE`` is the envelope's message type."""

    TYPE: ClassVar[str] = ""
    #: Fields carried inside a nested map of the wire body: field -> map name.
    NESTED: ClassVar[dict[str, str]] = {}

    def to_body(self) -> dict[str, Any]:
        """The wire body (plain values only)."""
        body: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                value = dict(value)
            if f.name in self.NESTED:
                body.setdefault(self.NESTED[f.name], {})[f.name] = value
            else:
                body[f.name] = value
        return body

    @classmethod
    def from_body(cls: type[B], body: dict[str, Any]) -> B:
        """The record of a (validated) wire body; unknown fields are ignored."""
        flat = {k: v for k, v in body.items() if k not in set(cls.NESTED.values())}
        for name, group in cls.NESTED.items():
            flat[name] = (body.get(group) or {}).get(name)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in flat.items() if k in names})


@dataclass(frozen=True, kw_only=True)
class HelloMessage(Body):
    """Runner -> coordinator after connecting: who is speaking."""

    TYPE: ClassVar[str] = "hello"
    protocol: int
    runner: str
    framework_version: str
    python: str
    pid: int
    # Added after protocol 1 shipped, so a peer may leave it out.
    sdk: str = field(default="", metadata={"optional": True})


@dataclass(frozen=True, kw_only=True)
class FitMessage(Body):
    """Train ``algorithm`` with ``config`` on the ``train`` columns; save the model under ``job_dir``."""

    TYPE: ClassVar[str] = "fit"
    NESTED: ClassVar[dict[str, str]] = {"train": "data", "val": "data"}
    algorithm: str
    config: dict[str, Any]
    seed: int
    job_dir: str
    n_users: int
    n_items: int
    feedback: str
    train: ColumnsDesc
    val: ColumnsDesc | None = None
    device: str = "cpu"
    threads: int = 1


@dataclass(frozen=True, kw_only=True)
class PredictMessage(FitMessage):
    """Rank the top ``k`` items for ``users`` and/or score ``pairs``; write them under ``out_dir``."""

    TYPE: ClassVar[str] = "predict"
    k: int
    out_dir: str
    users: ColumnsDesc | None = None
    pairs: ColumnsDesc | None = None
    exclude_train: bool = True
    #: Also keep each user's validation items (``val``) out of their list: the protocol for
    #: test rankings when the split has a validation part. The SDK does it for every handler.
    exclude_val: bool = field(default=False, metadata={"optional": True})


@dataclass(frozen=True, kw_only=True)
class ErrorMessage(Body):
    """A request failed (or a peer broke the protocol)."""

    TYPE: ClassVar[str] = "error"
    ename: str
    evalue: str
    traceback: str


@dataclass(frozen=True, kw_only=True)
class LogMessage(Body):
    """Progress text from a busy runner."""

    TYPE: ClassVar[str] = "log"
    level: str
    message: str


@dataclass(frozen=True, kw_only=True)
class EmptyMessage(Body):
    """``shutdown``, ``ok`` (the generic reply) and ``heartbeat`` carry no required fields."""


MESSAGES: dict[str, type[Body]] = {
    cls.TYPE: cls for cls in (HelloMessage, FitMessage, PredictMessage, ErrorMessage, LogMessage)
}
EMPTY_TYPES = ("shutdown", "ok", "heartbeat")
#: Every message type on the wire, and the requests among them.
TYPES = frozenset({*MESSAGES, *EMPTY_TYPES})
REQUESTS = frozenset({"fit", "predict", "shutdown"})

Schema = dict[str, tuple[tuple[type, ...], bool]]


def _types_of(hint: Any) -> tuple[type, ...]:
    """Runtime types accepted for an annotation (``dict[str, Any] | None`` -> dict, NoneType)."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(t for arg in get_args(hint) for t in _types_of(arg))
    if hint is type(None):
        return (type(None),)
    origin = get_origin(hint)
    return (origin if isinstance(origin, type) else hint,)


def schema(cls: type[Body]) -> Schema:
    """Field -> (accepted types, required) of ``cls``'s wire body.

    Nested fields (``train``/``val`` inside ``data``) appear as their required map.
    Fields with defaults are required on the wire too (senders always write them) unless
    marked ``optional`` in their metadata.
    """
    hints = get_type_hints(cls)
    out: Schema = {}
    for f in dataclasses.fields(cls):
        if f.name in cls.NESTED:
            out[cls.NESTED[f.name]] = ((dict,), True)
        else:
            out[f.name] = (_types_of(hints[f.name]), not f.metadata.get("optional", False))
    return out


BODY_SCHEMA: dict[str, Schema] = {
    **{name: schema(cls) for name, cls in MESSAGES.items()},
    **{name: {} for name in EMPTY_TYPES},
}

__all__ = [
    "BODY_SCHEMA",
    "FEEDBACK",
    "MESSAGES",
    "PROTOCOL_VERSION",
    "REQUESTS",
    "TYPES",
    "Body",
    "ErrorMessage",
    "Feedback",
    "FitMessage",
    "HelloMessage",
    "LogMessage",
    "PredictMessage",
    "schema",
]
