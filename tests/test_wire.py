"""Framing and schema of the runner protocol: valid messages round-trip, everything else
is one ProtocolError, and the decoder never lets anything else escape."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnirec_core.errors import OmniRecError
from omnirec_core.runner.messages import FitMessage, PredictMessage
from omnirec_core.runner.wire import (
    MAX_FRAME,
    Connection,
    ConnectionClosed,
    FrameDecoder,
    Message,
    ProtocolError,
    check_body,
    check_reply,
    decode_payload,
    encode,
)

COLS = {
    "rows": 3,
    "columns": {c: {"path": f"/x/{c}.npy", "sha256": "0" * 64, "dtype": "int64"} for c in ("user", "item")},
}
FIT = FitMessage(
    algorithm="Pop",
    config={"a": [1, 2.5, None, {"b": "c"}]},
    seed=3,
    job_dir="/j",
    n_users=4,
    n_items=5,
    feedback="implicit",
    train=COLS,
).to_body()
PREDICT = PredictMessage(
    k=10,
    out_dir="/o",
    users={"rows": 2, "columns": {"user": COLS["columns"]["user"]}},
    algorithm="Pop",
    config={},
    seed=3,
    job_dir="/j",
    n_users=4,
    n_items=5,
    feedback="explicit",
    train=COLS,
).to_body()
VALID = [
    Message(
        "hello", 1, {"protocol": 1, "runner": "Fake", "framework_version": "1", "python": "3.11.7", "pid": 42}
    ),
    Message("fit", 2, FIT),
    Message("predict", 3, PREDICT),
    Message("shutdown", 4, {}),
    Message("ok", 5, {"info": {"x": 1}}, re=2),
    Message("error", 6, {"ename": "E", "evalue": "v", "traceback": "t"}, re=2),
    Message("error", 7, {"ename": "E", "evalue": "v", "traceback": "t"}),
    Message("heartbeat", 8, {}),
    Message("log", 9, {"level": "info", "message": "hi"}),
]


def frame(obj: object) -> bytes:
    payload = msgpack.packb(obj, use_bin_type=True)
    return struct.pack(">I", len(payload)) + payload


def env(type_: str, body: object, **extra: object) -> dict:
    return {"v": 1, "id": 1, "type": type_, "body": body, **extra}


@pytest.mark.parametrize("msg", VALID, ids=lambda m: m.type)
def test_valid_messages_round_trip(msg: Message) -> None:
    data = encode(msg)
    assert struct.unpack(">I", data[:4])[0] == len(data) - 4
    assert decode_payload(data[4:]) == msg


def test_decoder_handles_any_chunking() -> None:
    stream = b"".join(encode(m) for m in VALID)
    dec = FrameDecoder()
    got = []
    for i in range(len(stream)):
        got += dec.feed(stream[i : i + 1])
    assert got == VALID
    assert dec.pending == 0


def test_oversized_length_rejected_before_payload() -> None:
    dec = FrameDecoder()
    with pytest.raises(ProtocolError, match="over the"):
        dec.feed(b"\xff\xff\xff\xff")  # no payload follows: the cap is checked on the prefix alone
    with pytest.raises(ProtocolError):  # the stream cannot resynchronise
        dec.feed(encode(VALID[0]))


def test_small_cap_applies() -> None:
    dec = FrameDecoder(max_frame=10)
    with pytest.raises(ProtocolError):
        dec.feed(encode(VALID[1]))
    with pytest.raises(ProtocolError, match="cap"):
        encode(VALID[1], max_frame=10)


def test_encode_refuses_invalid_and_unencodable() -> None:
    with pytest.raises(ProtocolError):
        encode(Message("bogus", 1, {}))
    with pytest.raises(ProtocolError):
        encode(Message("log", 1, {"level": "info", "message": "x", "obj": object()}))
    with pytest.raises(ProtocolError, match="cap"):
        encode(Message("log", 1, {"level": "info", "message": "x" * (MAX_FRAME + 1)}))


BAD_PAYLOADS = {
    "empty": b"",
    "not msgpack": b"\xc1",
    "trailing bytes": msgpack.packb(env("heartbeat", {})) + b"\x00",
    "list": msgpack.packb([1, 2, 3]),
    "int keys": msgpack.packb({1: 2}),
    "bad utf-8": b"\x81\xa1v\xa2\xff\xfe",
    "ext type": msgpack.packb(env("heartbeat", {"x": msgpack.ExtType(5, b"zz")})),
    "timestamp": msgpack.packb(env("heartbeat", {"t": msgpack.Timestamp(1, 2)})),
    "version 2": msgpack.packb({**env("heartbeat", {}), "v": 2}),
    "version str": msgpack.packb({**env("heartbeat", {}), "v": "1"}),
    "version bool": msgpack.packb({**env("heartbeat", {}), "v": True}),
    "no body": msgpack.packb({"v": 1, "id": 1, "type": "heartbeat"}),
    "negative id": msgpack.packb({**env("heartbeat", {}), "id": -1}),
    "bool id": msgpack.packb({**env("heartbeat", {}), "id": True}),
    "unknown type": msgpack.packb(env("bogus", {})),
    "type int": msgpack.packb(env(3, {})),  # type: ignore[arg-type]
    "body list": msgpack.packb(env("heartbeat", [])),
    "extra envelope key": msgpack.packb(env("heartbeat", {}, x=1)),
    "ok without re": msgpack.packb(env("ok", {})),
    "heartbeat with re": msgpack.packb(env("heartbeat", {}, re=1)),
    "re string": msgpack.packb(env("error", {"ename": "", "evalue": "", "traceback": ""}, re="1")),
    "hello pid str": msgpack.packb(env("hello", {**VALID[0].body, "pid": "42"})),
    "hello missing runner": msgpack.packb(
        env("hello", {k: v for k, v in VALID[0].body.items() if k != "runner"})
    ),
    "error evalue int": msgpack.packb(env("error", {"ename": "E", "evalue": 1, "traceback": ""})),
    "fit seed float": msgpack.packb(env("fit", {**FIT, "seed": 1.5})),
    "fit feedback": msgpack.packb(env("fit", {**FIT, "feedback": "both"})),
    "fit negative n_items": msgpack.packb(env("fit", {**FIT, "n_items": -1})),
    "fit no train": msgpack.packb(env("fit", {**FIT, "data": {"val": None}})),
    "fit train lacks item": msgpack.packb(
        env("fit", {**FIT, "data": {"train": {"rows": 1, "columns": {"user": COLS["columns"]["user"]}}}})
    ),
    "fit column path int": msgpack.packb(
        env(
            "fit",
            {
                **FIT,
                "data": {
                    "train": {
                        "rows": 1,
                        "columns": {c: {**COLS["columns"][c], "path": 5} for c in ("user", "item")},
                    }
                },
            },
        )
    ),
    "fit rows negative": msgpack.packb(env("fit", {**FIT, "data": {"train": {**COLS, "rows": -3}}})),
    "fit config nested key": msgpack.packb(env("fit", {**FIT, "config": {"a": {b"k": 1}}})),
    "predict exclude int": msgpack.packb(env("predict", {**PREDICT, "exclude_train": 1})),
    "predict users lacks user": msgpack.packb(env("predict", {**PREDICT, "users": COLS | {"columns": {}}})),
    "predict negative k": msgpack.packb(env("predict", {**PREDICT, "k": -1})),
    "deep nesting": msgpack.packb(
        env(
            "log",
            {
                "level": "i",
                "message": "m",
                "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
            },
        )
    ),
}


@pytest.mark.parametrize("payload", BAD_PAYLOADS.values(), ids=BAD_PAYLOADS.keys())
def test_malformed_payloads_are_protocol_errors(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_payload(payload)
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(struct.pack(">I", len(payload)) + payload)


def test_reply_schema() -> None:
    assert check_reply("predict", {"topk": None, "pairs": None, "info": {}})
    with pytest.raises(ProtocolError, match="rank"):
        check_reply("predict", {"topk": COLS, "info": {}})
    with pytest.raises(ProtocolError, match="info"):
        check_reply("fit", {"info": [1]})


def test_message_records_round_trip_and_bodies_are_checked_before_sending() -> None:
    msg = PredictMessage(
        k=1,
        out_dir="/o",
        users=COLS | {"columns": {}},
        algorithm="Pop",
        config={},
        seed=1,
        job_dir="/j",
        n_users=1,
        n_items=1,
        feedback="implicit",
        train=COLS,
    )
    assert PredictMessage.from_body(msg.to_body()) == msg
    assert msg.to_body()["data"] == {"train": COLS, "val": None}
    with pytest.raises(ProtocolError, match="user"):
        check_body("predict", msg.to_body())
    with pytest.raises(ProtocolError, match="user"):
        encode(Message("predict", 1, msg.to_body()))
    assert issubclass(ProtocolError, OmniRecError)


def test_schema_is_derived_from_the_message_records() -> None:
    from omnirec_core.runner.messages import BODY_SCHEMA

    assert BODY_SCHEMA["predict"]["k"] == ((int,), True)
    assert BODY_SCHEMA["predict"]["users"] == ((dict, type(None)), True)
    assert BODY_SCHEMA["fit"]["data"] == ((dict,), True)
    assert BODY_SCHEMA["hello"]["sdk"] == ((str,), False)
    assert set(BODY_SCHEMA["predict"]) == set(BODY_SCHEMA["fit"]) | {
        "k",
        "out_dir",
        "users",
        "pairs",
        "exclude_train",
        "exclude_val",
    }
    assert BODY_SCHEMA["predict"]["exclude_val"] == ((bool,), False)  # optional: older peers leave it out


SocketPair = Callable[[], tuple[socket.socket, socket.socket]]


@pytest.fixture
def sockets() -> Iterator[SocketPair]:
    """``sockets()`` makes a connected pair; every pair is closed after the test."""
    made: list[socket.socket] = []

    def pair() -> tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair()
        made.extend((a, b))
        return a, b

    yield pair
    for sock in made:
        sock.close()


# ---- real sockets --------------------------------------------------------------------


def test_connection_eof_and_truncation(sockets: SocketPair) -> None:
    a, b = sockets()
    ca, cb = Connection(a), Connection(b)
    mid = ca.send("heartbeat")
    assert cb.recv(timeout=10) == Message("heartbeat", mid, {})
    assert cb.recv(timeout=0.05) is None  # nothing pending: a timeout, not an error
    a.sendall(encode(VALID[1])[:20])
    a.close()
    with pytest.raises(ProtocolError, match="middle of a frame") as err:
        cb.recv(timeout=10)
    assert not isinstance(err.value, ConnectionClosed)
    c, d = sockets()
    c.close()
    with pytest.raises(ConnectionClosed):
        Connection(d).recv(timeout=10)


def test_connection_rejects_huge_length_without_waiting_for_payload(sockets: SocketPair) -> None:
    a, b = sockets()
    a.sendall(b"\xff\xff\xff\xff")  # and keep the socket open: a reader waiting for 4 GiB would hang
    with pytest.raises(ProtocolError, match="cap"):
        Connection(b).recv(timeout=30)
    a.close()


def test_concurrent_senders_never_interleave_frames(sockets: SocketPair) -> None:
    a, b = sockets()
    ca, cb = Connection(a), Connection(b)
    body = {"level": "info", "message": "y" * 5000}

    def spam() -> None:
        for _ in range(100):
            ca.send("log", body)

    threads = [threading.Thread(target=spam) for _ in range(4)]
    for t in threads:
        t.start()
    got = [cb.recv(timeout=30) for _ in range(400)]
    for t in threads:
        t.join()
    assert all(m is not None and m.body == body for m in got)
    assert sorted(m.id for m in got) == list(range(1, 401))  # type: ignore[union-attr]


# ---- fuzzing ---------------------------------------------------------------------------

plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
envelopes = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 1, 1, 0, 2, "1"]),
        "id": st.integers(-2, 2**64 - 1) | st.booleans(),
        "type": st.sampled_from(
            ["hello", "fit", "predict", "ok", "error", "log", "heartbeat", "shutdown", "x"]
        ),
        "body": plain,
    },
    optional={"re": st.integers(-1, 5) | st.none() | st.text(max_size=2)},
)


def _decode_only_protocol_errors(data: bytes) -> None:
    dec = FrameDecoder()
    try:
        for msg in dec.feed(data):
            assert isinstance(msg, Message)
    except ProtocolError:
        pass


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    _decode_only_protocol_errors(data)
    _decode_only_protocol_errors(struct.pack(">I", len(data)) + data)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(envelopes | plain)
def test_fuzz_structured_frames(obj: object) -> None:
    _decode_only_protocol_errors(frame(obj))


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(VALID), st.data())
def test_fuzz_mutated_valid_frames(msg: Message, data: st.DataObject) -> None:
    raw = bytearray(encode(msg))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, len(raw) - 1)) if raw else 0
        if op == "flip" and raw:
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "cut":
            del raw[pos:]
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
    _decode_only_protocol_errors(bytes(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300))
def test_fuzz_over_a_socket_then_a_valid_exchange_still_works(data: bytes) -> None:
    a, b = socket.socketpair()
    a.sendall(data)
    a.close()
    conn = Connection(b)
    try:
        while conn.recv(timeout=10) is not None:
            pass
    except ProtocolError:
        pass
    conn.close()
    c, d = socket.socketpair()  # the coordinator keeps working on the next connection
    Connection(c).send("heartbeat")
    assert Connection(d).recv(timeout=10) == Message("heartbeat", 1, {})
    c.close()
    d.close()


def test_worker_side_imports_stay_light() -> None:
    code = (
        "import sys, omnirec_core.runner.wire, omnirec_core.runner.serve, omnirec_core.runner.api, omnirec_fake.worker;"
        "heavy = ['pandas', 'pluggy', 'click', 'cryptography', 'scipy', 'rich'];"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
