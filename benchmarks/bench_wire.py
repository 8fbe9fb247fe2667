"""Wire protocol benchmark: what the coordinator <-> runner protocol costs over plain sockets.

Measures, in one run:

1. round-trip latency of a small message over the real protocol (mutual TLS 1.3,
   msgpack framing, schema validation) against the same bytes echoed over a plain
   loopback TCP socket; and a full ``call("fit")`` on a 10-row dataset to a fake runner;
2. a ~100 MB payload: written as column files, described in a ``fit`` message, read and
   hash-verified by the runner, against 100 MB pushed through a plain loopback socket;
3. time to start a runner (current interpreter) up to a completed handshake, against a
   bare ``python -c pass`` and an import of the worker SDK.

    nice python benchmarks/bench_wire.py            # 100 MB
    python benchmarks/bench_wire.py --mb 20 --rtt 500
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from omnirec_core.orchestration.runner_process import RunnerProcess
from omnirec_core.orchestration.tls import RunCA
from omnirec_core.runner import write_columns
from omnirec_core.runner.messages import FitMessage, PredictMessage
from omnirec_core.runner.serve import client_context
from omnirec_core.runner.wire import Connection, Message, encode

MODULE = "omnirec_fake.worker"


def _recv_exact(sock: socket.socket, n: int, buf: bytearray) -> None:
    view, got = memoryview(buf), 0
    while got < n:
        r = sock.recv_into(view[got:n])
        if r == 0:
            raise EOFError
        got += r


def plain_rtt(size: int, n: int) -> list[float]:
    """Echo ``size`` bytes over plain loopback TCP ``n`` times; per-round-trip seconds."""
    listener = socket.create_server(("127.0.0.1", 0))

    def echo() -> None:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray(size)
        for _ in range(n):
            _recv_exact(conn, size, buf)
            conn.sendall(buf)
        conn.close()

    t = threading.Thread(target=echo)
    t.start()
    c = socket.create_connection(listener.getsockname())
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload, buf, times = b"x" * size, bytearray(size), []
    for _ in range(n):
        t0 = time.perf_counter()
        c.sendall(payload)
        _recv_exact(c, size, buf)
        times.append(time.perf_counter() - t0)
    t.join()
    c.close()
    listener.close()
    return times


def tls_rtt(ca: RunCA, body: dict, n: int) -> list[float]:
    """Send a ``log`` message and wait for its ``ok`` over mutual TLS, ``n`` times."""
    creds = ca.issue_client("bench")
    listener = socket.create_server(("127.0.0.1", 0))
    sctx = ca.server_context()

    def echo() -> None:
        raw, _ = listener.accept()
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sctx.wrap_socket(raw, server_side=True))
        for _ in range(n):
            msg = conn.recv()
            assert msg is not None
            conn.send("ok", {}, re=msg.id)
        conn.close()

    t = threading.Thread(target=echo)
    t.start()
    raw = socket.create_connection(listener.getsockname())
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cctx = client_context(str(ca.ca_path), str(creds.cert_path), str(creds.key_path))
    conn = Connection(cctx.wrap_socket(raw, server_hostname="127.0.0.1"))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        mid = conn.send("log", body)
        reply = conn.recv()
        times.append(time.perf_counter() - t0)
        assert reply is not None and reply.re == mid
    t.join()
    conn.close()
    listener.close()
    return times


def plain_bulk(nbytes: int) -> float:
    """Seconds to push ``nbytes`` through a plain loopback socket and receive them."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def sink() -> None:
        conn, _ = listener.accept()
        buf = bytearray(1 << 20)
        got = 0
        while got < nbytes:
            r = conn.recv_into(buf)
            if r == 0:
                break
            got += r
        conn.sendall(b"k")
        conn.close()
        done.set()

    t = threading.Thread(target=sink)
    t.start()
    data = np.random.default_rng(0).integers(0, 255, nbytes, dtype=np.uint8).tobytes()
    c = socket.create_connection(listener.getsockname())
    t0 = time.perf_counter()
    c.sendall(data)
    c.recv(1)
    elapsed = time.perf_counter() - t0
    t.join()
    c.close()
    listener.close()
    return elapsed


def ms(x: float) -> str:
    return f"{x * 1e3:8.3f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=100.0, help="bulk payload size in MB")
    ap.add_argument("--rtt", type=int, default=2000, help="round trips for the latency test")
    ap.add_argument("--starts", type=int, default=5, help="runner starts to time")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnirec-bench-wire-"))

    t0 = time.perf_counter()
    ca = RunCA(base_dir=tmp / "tls")
    ca_time = time.perf_counter() - t0
    print(f"per-run CA + server certificate: {ms(ca_time)}")

    # 1. small round trips ------------------------------------------------------------
    body = {"level": "info", "message": "x" * 64}
    size = len(encode(Message("log", 1, body)))
    tls = tls_rtt(ca, body, args.rtt)
    plain = plain_rtt(size, args.rtt)
    tls_med, plain_med = statistics.median(tls), statistics.median(plain)
    print(f"\n[1] small message round trip ({size} B frame, {args.rtt} round trips, median)")
    print(f"  protocol (mutual TLS 1.3 + msgpack + validation): {ms(tls_med)}")
    print(f"  plain loopback TCP echo of the same bytes:        {ms(plain_med)}")
    print(f"  ratio protocol / plain: {tls_med / plain_med:.2f}x")

    # 2. bulk payload -------------------------------------------------------------------
    rows = int(args.mb * 1e6 / 16)  # two int64 columns
    rng = np.random.default_rng(0)
    user = rng.integers(0, 100_000, rows, dtype=np.int64)
    item = rng.integers(0, 1000, rows, dtype=np.int64)
    nbytes = user.nbytes + item.nbytes
    tiny = write_columns(tmp / "tiny", {"user": np.arange(10), "item": np.arange(10)})
    with RunnerProcess("Fake", sys.executable, MODULE, log_dir=tmp / "logs", tls=ca) as rp:
        fields = dict(
            algorithm="Pop",
            config={},
            seed=1,
            job_dir=str(tmp / "job"),
            n_users=100_000,
            n_items=1000,
            feedback="implicit",
        )
        small = {**fields, "n_users": 10, "n_items": 10}
        rp.call("fit", FitMessage(train=tiny, **small).to_body())
        calls = []
        for _ in range(200):
            t0 = time.perf_counter()
            rp.call("predict", PredictMessage(k=0, out_dir=str(tmp / "out"), train=tiny, **small).to_body())
            calls.append(time.perf_counter() - t0)
        print(
            "  full call('predict') with nothing to predict, to a fake runner (verifies 2 tiny "
            f"column files, loads its model; median of 200): {ms(statistics.median(calls))}"
        )

        t0 = time.perf_counter()
        train = write_columns(tmp / "bulk", {"user": user, "item": item})
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        rp.call("fit", FitMessage(train=train, **fields).to_body())
        t_call = time.perf_counter() - t0
    t_plain = plain_bulk(nbytes)
    total = t_write + t_call
    mb = nbytes / 1e6
    print(f"\n[2] bulk payload of {mb:.0f} MB")
    print(f"  write column files (np.save + fsync + sha256):    {t_write:7.3f} s")
    print(f"  fit call (runner: sha256 + np.load + bincount):   {t_call:7.3f} s")
    print(f"  protocol total: {total:7.3f} s = {mb / total:7.0f} MB/s")
    print(f"  plain loopback socket, same bytes: {t_plain:7.3f} s = {mb / t_plain:7.0f} MB/s")
    print(f"  ratio protocol / plain: {total / t_plain:.2f}x (the protocol also persists and verifies)")

    # 3. runner start -------------------------------------------------------------------
    starts = []
    for _ in range(args.starts):
        rp = RunnerProcess("Fake", sys.executable, MODULE, log_dir=tmp / "logs", tls=ca)
        t0 = time.perf_counter()
        rp.start()
        starts.append(time.perf_counter() - t0)
        rp.stop()

    def spawn(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t0

    bare = statistics.median(spawn("pass") for _ in range(args.starts))
    sdk = statistics.median(spawn("import omnirec_fake.worker") for _ in range(args.starts))
    st = statistics.median(starts)
    print(f"\n[3] runner start to completed handshake (median of {args.starts})")
    print(f"  RunnerProcess.start():                 {ms(st)}")
    print(f"  python -c pass:                        {ms(bare)}")
    print(f"  python -c 'import omnirec_fake.worker': {ms(sdk)}")
    print(f"  ratio start / bare interpreter: {st / bare:.2f}x; start / import: {st / sdk:.2f}x")
    ca.close()
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
