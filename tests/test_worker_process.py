"""The worker SDK and the coordinator-side RunnerProcess, end to end with the fake runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from omnirec_fake.testing import assert_cleaned_up, fake_runner, make_data

from omnirec_core.orchestration.runner_process import RunnerError
from omnirec_core.runner import Prediction, PredictRequest, read_columns, write_columns
from omnirec_core.runner.messages import FitMessage, PredictMessage
from omnirec_core.runner.serve import prediction_reply
from omnirec_core.runner.topk import grouped_ranks
from omnirec_core.runner.wire import Message, encode

N_USERS, N_ITEMS, K = 40, 60, 7


def _fields(tmp_path: Path, train: dict[str, Any], algorithm: str = "Pop", **config: Any) -> dict[str, Any]:
    return dict(
        algorithm=algorithm,
        config=config,
        seed=11,
        job_dir=str(tmp_path / f"job-{algorithm}"),
        n_users=N_USERS,
        n_items=N_ITEMS,
        feedback="implicit",
        train=train,
    )


def _expected_pop_topk(user: np.ndarray, item: np.ndarray, k: int) -> dict[int, list[int]]:
    counts = np.bincount(item, minlength=N_ITEMS)
    order = sorted(range(N_ITEMS), key=lambda i: (-counts[i], i))  # score desc, then item id
    seen: dict[int, set[int]] = {}
    for u, i in zip(user.tolist(), item.tolist()):
        seen.setdefault(u, set()).add(i)
    return {u: [i for i in order if i not in seen.get(u, set())][:k] for u in range(N_USERS)}


def test_pop_fit_predict_round_trip(tmp_path: Path) -> None:
    train, user, item = make_data(tmp_path / "train", N_USERS, N_ITEMS)
    users = write_columns(tmp_path / "users", {"user": np.arange(N_USERS)})
    pairs = write_columns(tmp_path / "pairs", {"user": user[:25], "item": item[:25]})
    events: list[Message] = []
    with fake_runner(tmp_path, heartbeat_timeout=5) as rp:
        assert rp.hello["runner"] == "Fake" and rp.hello["pid"] == rp.pid
        fit = rp.call(
            "fit", FitMessage(**_fields(tmp_path, train, sleep=1.0)).to_body(), on_event=events.append
        )
        assert fit["info"]["rows"] == len(user)
        assert (tmp_path / "job-Pop" / "model.npy").exists()
        assert any(e.type == "heartbeat" for e in events)  # interval 0.5 s during a 1 s fit
        assert any(e.type == "log" and "fitting Pop" in e.body["message"] for e in events)
        reply = rp.call(
            "predict",
            PredictMessage(
                k=K, out_dir=str(tmp_path / "pred"), users=users, pairs=pairs, **_fields(tmp_path, train)
            ).to_body(),
        )
    assert rp.returncode == 0
    assert_cleaned_up(rp)
    top = read_columns(reply["topk"])  # verifies the hashes the runner reported
    assert list(top) == ["user", "item", "score", "rank"]
    assert top["rank"].dtype == np.int64 and top["score"].dtype == np.float64
    expected = _expected_pop_topk(user, item, K)
    for u in range(N_USERS):
        rows = top["user"] == u
        assert top["item"][rows].tolist() == expected[u]
        assert top["rank"][rows].tolist() == list(range(1, len(expected[u]) + 1))
    train_pairs = set(zip(user.tolist(), item.tolist()))
    assert not train_pairs & set(zip(top["user"].tolist(), top["item"].tolist()))
    got_pairs = read_columns(reply["pairs"])
    assert np.array_equal(got_pairs["score"], np.bincount(item, minlength=N_ITEMS)[item[:25]])
    assert "fitting Pop" in rp.log_path.read_text()  # log messages are kept in the runner log


def test_predict_after_restart_uses_saved_model_and_can_include_train(tmp_path: Path) -> None:
    train, _, item = make_data(tmp_path / "train", N_USERS, N_ITEMS)
    users = write_columns(tmp_path / "users", {"user": np.arange(5)})
    with fake_runner(tmp_path) as rp:
        rp.call("fit", FitMessage(**_fields(tmp_path, train)).to_body())
    with fake_runner(tmp_path) as rp2:  # a new process: no fit, the model comes from job_dir
        reply = rp2.call(
            "predict",
            PredictMessage(
                k=N_ITEMS,
                exclude_train=False,
                out_dir=str(tmp_path / "p"),
                users=users,
                **_fields(tmp_path, train),
            ).to_body(),
        )
    top = read_columns(reply["topk"])
    assert len(top["user"]) == 5 * N_ITEMS  # every item, training items included
    counts = np.bincount(item, minlength=N_ITEMS)
    assert np.array_equal(top["score"][top["user"] == 0], np.sort(counts)[::-1].astype(float))


def test_random_is_seeded_and_itemcf_excludes_train(tmp_path: Path) -> None:
    train, user, item = make_data(tmp_path / "train", N_USERS, N_ITEMS)
    users = write_columns(tmp_path / "users", {"user": np.arange(N_USERS)})
    outs = []
    with fake_runner(tmp_path) as rp:
        for algo, out in (("Random", "r1"), ("Random", "r2"), ("ItemCF", "cf")):
            f = _fields(tmp_path, train, algo)
            rp.call("fit", FitMessage(**f).to_body())
            outs.append(
                read_columns(
                    rp.call(
                        "predict",
                        PredictMessage(k=K, out_dir=str(tmp_path / out), users=users, **f).to_body(),
                    )["topk"]
                )
            )
    assert np.array_equal(outs[0]["item"], outs[1]["item"])
    train_pairs = set(zip(user.tolist(), item.tolist()))
    for top in outs:
        assert not train_pairs & set(zip(top["user"].tolist(), top["item"].tolist()))
        assert np.all(np.diff(top["score"])[np.diff(top["user"]) == 0] <= 0)


def test_handler_errors_come_back_and_the_runner_keeps_serving(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with fake_runner(tmp_path) as rp:
        with pytest.raises(RunnerError) as err:
            rp.call("fit", FitMessage(**_fields(tmp_path, train, nope=1)).to_body())
        assert err.value.ename == "ConfigError"
        assert "valid keys: fault" in err.value.evalue
        with pytest.raises(RunnerError) as err:
            rp.call("fit", FitMessage(**_fields(tmp_path, train, fault="raise_fit")).to_body())
        assert err.value.ename == "RuntimeError"
        assert "injected failure in fit" in err.value.traceback
        # a column file altered after it was described: the hash check refuses it
        Path(train["columns"]["item"]["path"]).write_bytes(b"garbage")
        with pytest.raises(RunnerError) as err:
            rp.call("fit", FitMessage(**_fields(tmp_path, train)).to_body())
        assert err.value.ename == "ColumnFileError"
        good, _, _ = make_data(tmp_path / "train2")
        assert rp.call("fit", FitMessage(**_fields(tmp_path, good)).to_body())["info"]["rows"] > 0
        assert rp.alive
    assert rp.returncode == 0


@pytest.mark.slow
def test_long_fit_is_not_capped_while_heartbeats_arrive(tmp_path: Path) -> None:
    train, _, _ = make_data(tmp_path / "train")
    with fake_runner(tmp_path, heartbeat_timeout=2.5) as rp:
        beats: list[Message] = []
        info = rp.call(
            "fit", FitMessage(**_fields(tmp_path, train, sleep=6)).to_body(), on_event=beats.append
        )
    assert info["info"]["rows"] > 0
    assert sum(b.type == "heartbeat" for b in beats) >= 4


def test_unknown_message_to_the_worker_gets_error_then_close(tmp_path: Path) -> None:
    rp = fake_runner(tmp_path)
    rp.start()
    try:
        conn = rp.connection
        assert conn is not None
        frame = encode(Message("heartbeat", 99, {}))
        conn.send_raw(frame.replace(b"heartbeat", b"heartbeet"))
        reply = conn.recv(timeout=60)
        assert reply is not None and reply.type == "error" and reply.body["ename"] == "ProtocolError"
        assert "heartbeet" in reply.body["evalue"]
        rp._wait_exited(60)
    finally:
        rp.stop()
    assert rp.returncode == 2
    assert_cleaned_up(rp)


def test_fake_bad_predictions_contain_train_items_and_duplicates(tmp_path: Path) -> None:
    """The fault the coordinator's output checks are tested against really is in the files."""
    train, user, item = make_data(tmp_path / "train", N_USERS, N_ITEMS)
    users = write_columns(tmp_path / "users", {"user": np.arange(N_USERS)})
    f = _fields(tmp_path, train, fault="bad_predictions")
    with fake_runner(tmp_path) as rp:
        rp.call("fit", FitMessage(**f).to_body())
        top = read_columns(
            rp.call("predict", PredictMessage(k=K, out_dir=str(tmp_path / "p"), users=users, **f).to_body())[
                "topk"
            ]
        )
    got = list(zip(top["user"].tolist(), top["item"].tolist()))
    assert len(set(got)) < len(got)
    assert set(got) & set(zip(user.tolist(), item.tolist()))
    assert top["rank"].max() > K


def test_ranks_follow_handler_order_per_user() -> None:
    order, rank = grouped_ranks(np.array([5, 3, 5, 3, 3, 9]))
    assert order.tolist() == [1, 3, 4, 0, 2, 5]
    assert rank.tolist() == [1, 2, 3, 1, 2, 1]


def test_prediction_reply_checks_shapes(tmp_path: Path) -> None:
    req = PredictRequest(
        algorithm="Pop",
        config={},
        seed=1,
        job_dir=tmp_path,
        train=None,  # type: ignore[arg-type]
        n_users=3,
        n_items=3,
        feedback="implicit",
        k=2,
        users=np.arange(3),
    )
    with pytest.raises(ValueError, match="one length"):
        prediction_reply(Prediction(user=np.arange(3), item=np.arange(2), score=np.ones(3)), req, tmp_path)
    with pytest.raises(ValueError, match="requested"):
        prediction_reply(Prediction(), req, tmp_path)
    reply = prediction_reply(
        Prediction(
            user=np.array([2, 0, 2]),
            item=np.array([1, 1, 0]),
            score=np.array([3.0, 2, 1]),
            info={"n": np.int64(4)},
        ),
        req,
        tmp_path,
    )
    assert reply["info"] == {"n": 4}
    cols = read_columns(reply["topk"])
    assert cols["user"].tolist() == [0, 2, 2] and cols["rank"].tolist() == [1, 1, 2]
