"""Runner faults with real processes: each is detected, reported with its cause, and leaves
no deadlock, zombie or orphan behind; the coordinator keeps working afterwards."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import msgpack
import pytest
from omnirec_fake.testing import assert_cleaned_up, fake_runner, is_running, make_data, wait_until

from omnirec_core.orchestration.runner_process import RunnerCrashed, RunnerHung
from omnirec_core.orchestration.tls import RunCA
from omnirec_core.runner.messages import FitMessage
from omnirec_core.runner.wire import ProtocolError


def _fit(tmp_path: Path, train: dict[str, Any], **config: Any) -> dict[str, Any]:
    return FitMessage(
        algorithm="Pop",
        config=config,
        seed=1,
        job_dir=str(tmp_path / "job"),
        n_users=40,
        n_items=60,
        feedback="implicit",
        train=train,
    ).to_body()


def test_sigkill_mid_fit_is_reported_as_likely_oom_and_the_group_is_cleaned(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    rp = fake_runner(tmp_path)
    rp.start()
    with pytest.raises(RunnerCrashed) as err:
        rp.call("fit", _fit(tmp_path, train, fault="crash_fit", children=2))
    assert err.value.signal_name == "SIGKILL" and err.value.returncode == -signal.SIGKILL
    assert "likely out of memory" in str(err.value)
    assert "crashing during fit" in err.value.log_tail
    assert_cleaned_up(rp)  # the two sleeping children were killed with the group
    with pytest.raises(RunnerCrashed, match="not running"):
        rp.call("fit", _fit(tmp_path, train))
    assert rp.stop() == -signal.SIGKILL


def test_exit_mid_fit_reports_the_exit_code(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with fake_runner(tmp_path) as rp, pytest.raises(RunnerCrashed, match="exited with code 7 during fit"):
        rp.call("fit", _fit(tmp_path, train, fault="exit_fit"))
    assert_cleaned_up(rp)


@pytest.mark.slow
def test_hang_is_detected_by_missing_heartbeats(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with fake_runner(tmp_path, heartbeat_timeout=3) as rp, pytest.raises(RunnerHung) as err:
        rp.call("fit", _fit(tmp_path, train, fault="hang_fit", children=1))
    assert "no heartbeat for 3 s during fit" in str(err.value)
    assert "fake: hanging" in err.value.log_tail
    assert_cleaned_up(rp)


def test_exit_before_handshake(tmp_path: Path) -> None:
    rp = fake_runner(tmp_path, fault="exit_before_hello")
    with pytest.raises(RunnerCrashed) as err:
        rp.start()
    assert err.value.returncode == 5
    assert "before the handshake" in str(err.value)
    assert "fake: exiting before the handshake" in err.value.log_tail
    assert_cleaned_up(rp)


@pytest.mark.slow
def test_handshake_deadline(tmp_path: Path) -> None:
    rp = fake_runner(tmp_path, fault="hang_before_hello", handshake_timeout=2)
    with pytest.raises(RunnerHung, match="handshake within 2 s"):
        rp.start()
    assert_cleaned_up(rp)


def test_missing_interpreter_is_a_clear_error(tmp_path: Path) -> None:
    from omnirec_core.orchestration.runner_process import RunnerProcess

    rp = RunnerProcess("Fake", tmp_path / "no-python", "omnirec_fake.worker", log_dir=tmp_path)
    with pytest.raises(RunnerCrashed, match="cannot start runner Fake"):
        rp.start()


def test_flood_of_output_neither_blocks_nor_fills_the_disk(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    cap = 4 * 1024 * 1024
    with fake_runner(tmp_path, log_cap=cap) as rp:
        info = rp.call("fit", _fit(tmp_path, train, fault="flood", flood_mb=10))
        assert info["info"]["rows"] > 0
        assert "flood done" in rp.log_tail()
    logs = list((tmp_path / "logs").iterdir())
    assert {p.name for p in logs} == {"Fake.log", "Fake.log.1"}
    assert sum(p.stat().st_size for p in logs) <= cap + 64 * 1024  # 20 MB were written
    assert rp.returncode == 0
    assert_cleaned_up(rp)


def test_malformed_frame_mid_fit_stops_the_runner_and_the_next_runner_works(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with RunCA(base_dir=tmp_path / "tls") as ca:
        rp = fake_runner(tmp_path, tls=ca)
        rp.start()
        with pytest.raises(ProtocolError, match="broke the protocol during fit"):
            rp.call("fit", _fit(tmp_path, train, fault="bad_frame"))
        assert_cleaned_up(rp)
        with fake_runner(tmp_path, tls=ca) as good:
            assert good.call("fit", _fit(tmp_path, train))["info"]["rows"] > 0


def _frame(obj: object) -> bytes:
    payload = msgpack.packb(obj)
    return struct.pack(">I", len(payload)) + payload


HELLO = {"protocol": 1, "runner": "Fake", "framework_version": "x", "python": "3.11", "pid": 1}
ROGUE = {
    "huge length": ("raw", b"\xff\xff\xff\xff"),
    "truncated": ("rawclose", _frame({"v": 1, "id": 1, "type": "hello", "body": HELLO})[:-5]),
    "pid as string": ("raw", _frame({"v": 1, "id": 1, "type": "hello", "body": {**HELLO, "pid": "1"}})),
    "unknown type": ("raw", _frame({"v": 1, "id": 1, "type": "howdy", "body": HELLO})),
    "version 2": ("raw", _frame({"v": 2, "id": 1, "type": "hello", "body": HELLO})),
    "hello protocol 2": ("raw", _frame({"v": 1, "id": 1, "type": "hello", "body": {**HELLO, "protocol": 2}})),
    "not hello": ("raw", _frame({"v": 1, "id": 1, "type": "heartbeat", "body": {}})),
    "garbage": ("raw", struct.pack(">I", 60) + os.urandom(60)),  # a bounded length, random payload
}


@pytest.mark.slow
def test_rogue_handshakes_are_protocol_errors_and_the_coordinator_keeps_working(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with RunCA(base_dir=tmp_path / "tls") as ca:
        for label, (mode, data) in ROGUE.items():
            rp = fake_runner(tmp_path / label.replace(" ", "_"), fault=f"{mode}:{data.hex()}", tls=ca)
            with pytest.raises(ProtocolError) as err:
                rp.start()
            assert "broke the protocol during the handshake" in str(err.value), label
            assert_cleaned_up(rp)
        with fake_runner(tmp_path, tls=ca) as good:
            assert good.call("fit", _fit(tmp_path, train))["info"]["rows"] > 0


COORDINATOR = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from omnirec_fake.testing import fake_runner, make_data
    from omnirec_core.orchestration.tls import RunCA
    from omnirec_core.runner.messages import FitMessage
    tmp = Path(sys.argv[1])
    train, _, _ = make_data(tmp / "train")
    rp = fake_runner(tmp, heartbeat_timeout=600, tls=RunCA(base_dir=tmp / "tls"))
    rp.start()
    print(rp.pid, flush=True)
    if sys.argv[2] == "busy":
        rp.call("fit", FitMessage(algorithm="Pop", config={"sleep": 3600}, seed=1, job_dir=str(tmp / "j"),
                                  n_users=40, n_items=60, feedback="implicit", train=train).to_body())
    else:
        import time; time.sleep(3600)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("state", ["idle", "busy"])
def test_runner_exits_by_itself_when_the_coordinator_is_killed(tmp_path: Path, state: str) -> None:
    coord = subprocess.Popen(
        [sys.executable, "-c", COORDINATOR, str(tmp_path), state], stdout=subprocess.PIPE, text=True
    )
    try:
        runner_pid = int(coord.stdout.readline())  # type: ignore[union-attr]
        assert is_running(runner_pid)
        if state == "busy":
            assert wait_until(
                lambda: (
                    "fitting" in (tmp_path / "logs" / "Fake.log").read_text() or (tmp_path / "j").exists()
                ),
                60,
            )
        coord.kill()
        coord.wait()
        # Nobody reaps the orphan here (it becomes init's child): "exited" means not running.
        assert wait_until(lambda: not is_running(runner_pid), 60), f"runner {runner_pid} survived"
        # A SIGKILLed coordinator cannot clean up, but no private key was left on disk.
        assert [p.name for p in (tmp_path / "tls").glob("*/*.key")] == []
    finally:
        coord.kill()
        coord.wait()
        coord.stdout.close()  # type: ignore[union-attr]


@pytest.mark.slow
def test_silent_local_clients_cannot_delay_the_runner(tmp_path: Path) -> None:
    # More silent connections than the listen backlog (8), each holding a handshake open.
    gate = tmp_path / "go"
    rp = fake_runner(tmp_path, fault=f"wait_file:{gate}", handshake_timeout=60)
    silent: list[socket.socket] = []

    def crowd() -> None:
        assert wait_until(lambda: rp.address is not None, 30)
        for _ in range(12):
            silent.append(socket.create_connection(rp.address, timeout=5))
        gate.touch()  # now the real runner connects

    helper = threading.Thread(target=crowd)
    helper.start()
    try:
        # Each silent client keeps a handshake open for TLS_HANDSHAKE_TIMEOUT (10 s): handled one
        # after another they would hold the runner past its 60 s handshake deadline.
        rp.start()
        helper.join()
        assert rp.hello is not None and rp.hello["runner"] == "Fake"
    finally:
        rp.stop()
        for sock in silent:
            sock.close()
