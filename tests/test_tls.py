"""The per-run CA, its secret files, and who the coordinator and runners agree to talk to."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from omnirec_fake.testing import assert_cleaned_up, fake_runner, wait_until

from omnirec_core.orchestration.runner_process import RunnerCrashed
from omnirec_core.orchestration.tls import RunCA
from omnirec_core.runner.serve import client_context
from omnirec_core.runner.wire import Connection, FrameDecoder, Message, ProtocolError, encode, fingerprint


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_dir_and_files_are_owner_only_and_removed(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path) as ca:
        creds = ca.issue_client("Fake")
        files = sorted(ca.directory.iterdir())
        assert _mode(ca.directory) == 0o700
        # The server key was loaded into the server context and unlinked at once.
        assert {p.name for p in files} == {"ca.crt", "server.crt", "client-1.crt", "client-1.key"}
        assert all(_mode(p) == 0o600 for p in files)
        # The only private keys on disk belong to client certificates: never the CA's.
        ca_pub = x509.load_pem_x509_certificate(ca.ca_pem).public_key().public_numbers()
        for key_file in ca.directory.glob("*.key"):
            key = serialization.load_pem_private_key(key_file.read_bytes(), None)
            assert key.public_key().public_numbers() != ca_pub
        assert creds.fingerprint == fingerprint(
            x509.load_pem_x509_certificate(creds.cert_path.read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
        )
        ca.discard(creds)
        assert not creds.key_path.exists()
        directory = ca.directory
    assert not directory.exists()
    assert list(tmp_path.iterdir()) == []


def test_finalizer_removes_dir_of_a_dropped_ca(tmp_path: Path) -> None:
    ca = RunCA(base_dir=tmp_path)
    directory = ca.directory
    del ca
    assert wait_until(lambda: not directory.exists(), 10)


def test_every_run_gets_fresh_material(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path) as a, RunCA(base_dir=tmp_path) as b:
        assert a.ca_pem != b.ca_pem
        assert a.server_fingerprint != b.server_fingerprint
        assert a.directory != b.directory
        cert = x509.load_pem_x509_certificate(a.server_cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def _serve_once(ca: RunCA, result: dict) -> tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    ctx = ca.server_context()

    def run() -> None:
        raw, _ = listener.accept()
        raw.settimeout(30)
        try:
            with ctx.wrap_socket(raw, server_side=True) as s:
                result["version"] = s.version()
                result["peer"] = fingerprint(s.getpeercert(binary_form=True))
                msg = Connection(s).recv(timeout=30)
                result["msg"] = msg
        except (ssl.SSLError, OSError) as exc:
            result["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    result["thread"] = t
    return listener, listener.getsockname()[1]


def test_mutual_tls13_handshake_and_tls12_refused(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path) as ca:
        creds = ca.issue_client("Fake")
        res: dict = {}
        listener, port = _serve_once(ca, res)
        ctx = client_context(str(ca.ca_path), str(creds.cert_path), str(creds.key_path))
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1") as s:
            assert fingerprint(s.getpeercert(binary_form=True)) == ca.server_fingerprint
            s.sendall(encode(Message("heartbeat", 1, {})))
            res["thread"].join(30)
        assert res["version"] == "TLSv1.3"
        assert res["peer"] == creds.fingerprint
        assert res["msg"].type == "heartbeat"
        listener.close()

        res2: dict = {}
        listener, port = _serve_once(ca, res2)
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        old.load_verify_locations(cafile=str(ca.ca_path))
        old.load_cert_chain(str(creds.cert_path), str(creds.key_path))
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
        res2["thread"].join(30)
        assert "error" in res2 and "msg" not in res2
        listener.close()


def _got_a_reply(data: bytes) -> bool:
    try:
        return bool(FrameDecoder().feed(data))
    except ProtocolError:
        return False


def _rogue_attempts(port: int, other: RunCA, same: RunCA) -> dict[str, bytes | str]:
    """Connect as: plaintext, TLS without a client cert, another CA's cert, another runner's
    cert; send a hello each time and return what came back (bytes) or the refusal."""
    outcomes: dict[str, bytes | str] = {}
    hello = encode(
        Message(
            "hello", 1, {"protocol": 1, "runner": "Fake", "framework_version": "x", "python": "3", "pid": 1}
        )
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(hello)
            outcomes["plain"] = s.recv(100)
    except OSError as exc:
        outcomes["plain"] = f"refused {type(exc).__name__}"
    for label, creds in (
        ("nocert", None),
        ("otherca", other.issue_client("Fake")),
        ("otherrunner", same.issue_client("Fake")),
    ):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(cafile=str(same.ca_path))
        if creds is not None:
            ctx.load_cert_chain(str(creds.cert_path), str(creds.key_path))
        try:
            with ctx.wrap_socket(
                socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="127.0.0.1"
            ) as s:
                s.sendall(hello)
                outcomes[label] = s.recv(100)  # TLS 1.3: a refused client cert shows up here
        except OSError as exc:
            outcomes[label] = f"refused {type(exc).__name__}"
    return outcomes


def test_listener_refuses_strangers_then_accepts_its_runner(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path / "a") as ca, RunCA(base_dir=tmp_path / "b") as other:
        go = tmp_path / "go"
        rp = fake_runner(tmp_path, fault=f"wait_file:{go}", tls=ca)
        result: dict = {}
        t = threading.Thread(target=lambda: result.setdefault("hello", rp.start()), daemon=True)
        t.start()
        assert wait_until(lambda: rp.address is not None, 30)
        assert rp.address[0] == "127.0.0.1"
        outcomes = _rogue_attempts(rp.address[1], other, ca)
        go.touch()  # now let the real runner connect
        t.join(60)
        try:
            assert result["hello"]["pid"] == rp.pid  # the real runner got through afterwards
            assert sorted(outcomes) == ["nocert", "otherca", "otherrunner", "plain"]
            for label, outcome in outcomes.items():  # nobody else ever received a reply frame
                assert isinstance(outcome, str) or not _got_a_reply(outcome), (label, outcome)
            assert len(rp.rejected) == 4, rp.rejected
            assert "is not this runner's" in rp.rejected[-1]
        finally:
            rp.stop()


def _non_loopback_ip() -> str | None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


def test_listener_binds_loopback_only(tmp_path: Path) -> None:
    go = tmp_path / "go"
    rp = fake_runner(tmp_path, fault=f"wait_file:{go}")
    t = threading.Thread(target=rp.start, daemon=True)
    t.start()
    try:
        assert wait_until(lambda: rp.address is not None, 30)
        assert rp.address[0] == "127.0.0.1"
        ip = _non_loopback_ip()
        if ip is not None:  # the listener is up (the runner waits for "go"), yet unreachable here
            with pytest.raises(OSError):
                socket.create_connection((ip, rp.address[1]), timeout=5).close()
        with socket.create_connection(("127.0.0.1", rp.address[1]), timeout=5):
            pass  # while on loopback it answers
        go.touch()
        t.join(60)
        assert rp.hello is not None
    finally:
        t.join(60)
        rp.stop()


def test_runner_refuses_a_coordinator_with_the_wrong_fingerprint(tmp_path: Path) -> None:
    rp = fake_runner(tmp_path, fault="fingerprint:" + "ab" * 32)
    with pytest.raises(RunnerCrashed) as err:
        rp.start()
    assert err.value.returncode == 4
    assert "refusing to talk to it" in err.value.log_tail
    assert not (tmp_path / "job").exists()
    assert_cleaned_up(rp)


def test_runner_refuses_a_server_from_another_ca(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path) as other:
        rp = fake_runner(tmp_path, fault=f"ca:{other.ca_path}")
        with pytest.raises(RunnerCrashed) as err:
            rp.start()
    assert err.value.returncode == 4
    assert "certificate verify failed" in err.value.log_tail
    assert any("TLS handshake failed" in r for r in rp.rejected)
    assert_cleaned_up(rp)


def test_runner_secrets_live_only_until_the_runner_has_connected(tmp_path: Path) -> None:
    with RunCA(base_dir=tmp_path / "shared") as ca:
        go = tmp_path / "go"
        rp = fake_runner(tmp_path, tls=ca, fault=f"wait_file:{go}")
        t = threading.Thread(target=rp.start, daemon=True)
        t.start()
        assert wait_until(lambda: len(list(ca.directory.glob("client-*"))) == 2, 30)
        client_files = sorted(ca.directory.glob("client-*"))
        assert all(_mode(p) == 0o600 for p in client_files)
        go.touch()
        t.join(60)
        try:
            assert rp.hello is not None
            assert not any(p.exists() for p in client_files)  # deleted once the runner connected
            assert sorted(p.name for p in ca.directory.iterdir()) == ["ca.crt", "server.crt"]
        finally:
            rp.stop()
    own = fake_runner(tmp_path)
    own.start()
    directory = own._tls.directory  # type: ignore[union-attr]
    assert directory.exists() and _mode(directory) == 0o700
    own.stop()
    assert not directory.exists()
    assert not any(k.startswith("OMNIREC_TLS") for k in os.environ)
