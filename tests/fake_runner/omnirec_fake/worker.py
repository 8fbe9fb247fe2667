"""Worker side of the fake runner: three cheap numpy algorithms plus fault injection.

Config-driven faults (``{"fault": ...}`` in the algorithm config):

- ``crash_fit`` / ``crash_predict``: SIGKILL itself mid-request (like the OOM killer);
- ``exit_fit``: ``os._exit(7)`` mid-fit;
- ``raise_fit``: raise ``RuntimeError`` (a handler failure; the runner stays usable);
- ``hang_fit``: suspend heartbeats and sleep ``hang_seconds`` (default 3600);
- ``flood``: write ``flood_mb`` (default 10) MB to stdout and as much to stderr, then fit;
- ``bad_frame``: send a malformed frame to the coordinator mid-fit;
- ``bad_predictions``: top-K lists that contain training items and duplicates.

``sleep`` (seconds) makes a fit last that long; ``children`` (n) starts n child
processes that sleep, so tests can check that the whole process group is cleaned up.

Faults before any request come from the ``OMNIREC_FAKE_FAULT`` environment variable:
``import_error`` (raise ModuleNotFoundError at start-up), ``exit_before_hello`` (exit 5
before connecting), ``hang_before_hello``,
``connect_delay:<seconds>``, ``wait_file:<path>`` (connect once the file exists), ``raw:<hex>`` / ``rawclose:<hex>`` (send these bytes instead
of a hello, then stay / close), ``fingerprint:<hex>`` and ``ca:<path>`` (distrust the
real coordinator).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Interactions,
    Prediction,
    PredictRequest,
    UserIndex,
    batches,
    topk_from_scores,
)
from omnirec_core.runner import serve as worker
from omnirec_core.runner.fs import atomic_open
from omnirec_fake import ENV_FAULT, FAULTS, PARAMS

MAX_ITEMCF_ITEMS = 5000
BATCH = 1024


def _save(path: Any, arr: np.ndarray) -> None:
    with atomic_open(path, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)


def _spawn_children(n: int) -> None:
    for _ in range(n):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stdin=subprocess.DEVNULL)


def _flood(megabytes: float) -> None:
    line = b"x" * 1023 + b"\n"
    n = int(megabytes * 1024)
    for stream in (sys.stdout.buffer, sys.stderr.buffer):
        for _ in range(n):
            stream.write(line)
        stream.flush()
    sys.stderr.write("flood done\n")
    sys.stderr.flush()


def _inject(session: Any, config: dict[str, Any], phase: str) -> None:
    fault = config.get("fault")
    if config.get("children"):
        _spawn_children(int(config["children"]))
    if config.get("sleep"):
        time.sleep(float(config["sleep"]))
    if fault == f"crash_{phase}":
        print(f"fake: crashing during {phase}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    if phase != "fit":
        return
    if fault == "exit_fit":
        print("fake: exiting with code 7 during fit", file=sys.stderr, flush=True)
        os._exit(7)
    if fault == "raise_fit":
        raise RuntimeError("injected failure in fit")
    if fault == "hang_fit":
        print("fake: hanging", file=sys.stderr, flush=True)
        session.suspend_heartbeats()
        time.sleep(float(config.get("hang_seconds", 3600)))
        session.resume_heartbeats()
    if fault == "flood":
        _flood(float(config.get("flood_mb", 10)))
    if fault == "bad_frame":
        session.connection.send_raw(b"\x00\x00\x00\x03\x93\x01\x02")  # a frame holding a list, not a map
        time.sleep(3600)


class FakeHandler(Handler):
    name = "Fake"

    def framework_version(self) -> str:
        return f"fake-0.1 (numpy {np.__version__})"

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        if algorithm not in PARAMS:
            raise ConfigError(f"unknown algorithm {algorithm!r}; the Fake runner offers {', '.join(PARAMS)}")
        unknown = sorted(set(config) - set(PARAMS[algorithm]))
        if unknown:
            raise ConfigError(
                f"{algorithm} does not accept {', '.join(unknown)}; valid keys: {', '.join(PARAMS[algorithm])}"
            )
        if config.get("fault") not in (None, *FAULTS):
            raise ConfigError(f"unknown fault {config['fault']!r}; valid: {', '.join(FAULTS)}")

    def fit(self, req: FitRequest) -> dict[str, Any]:
        _inject(self.session, req.config, "fit")
        self.session.log(f"fitting {req.algorithm} on {len(req.train)} interactions")
        if req.algorithm == "Pop":
            model = np.bincount(req.train.item, minlength=req.n_items).astype(np.float64)
        elif req.algorithm == "Random":
            model = np.array([req.seed], dtype=np.int64)
        else:
            model = self._itemcf(req.train, req.n_users, req.n_items, float(req.config.get("shrink", 0.0)))
        _save(req.job_dir / "model.npy", model)
        # What the process sees, so tests can check the environment a runner gets.
        seen = {"tmpdir": tempfile.gettempdir(), "pythonpath": os.environ.get("PYTHONPATH")}
        return {"rows": len(req.train), "model_bytes": int(model.nbytes), **seen}

    @staticmethod
    def _itemcf(train: Interactions, n_users: int, n_items: int, shrink: float) -> np.ndarray:
        if n_items > MAX_ITEMCF_ITEMS:
            raise ValueError(f"the fake ItemCF is dense and supports at most {MAX_ITEMCF_ITEMS} items")
        x = np.zeros((n_users, n_items), dtype=np.float32)
        x[train.user, train.item] = 1.0
        co = x.T @ x
        norms = np.sqrt(np.diag(co))
        sim = co / (np.outer(norms, norms) + shrink + 1e-12)
        np.fill_diagonal(sim, 0.0)
        return sim

    def _scores(self, req: PredictRequest, model: np.ndarray, users: np.ndarray) -> np.ndarray:
        if req.algorithm == "Pop":
            return np.broadcast_to(model, (len(users), req.n_items))
        if req.algorithm == "Random":
            seed = int(model[0])
            return (
                np.stack([np.random.default_rng([seed, int(u)]).random(req.n_items) for u in users])
                if len(users)
                else np.empty((0, req.n_items))
            )
        hist = np.zeros((len(users), req.n_items), dtype=np.float32)
        rows, items = UserIndex(req.train, req.n_users).rows_of(users)
        hist[rows, items] = 1.0
        return hist @ model

    def predict(self, req: PredictRequest) -> Prediction:
        _inject(self.session, req.config, "predict")
        model = np.load(req.job_dir / "model.npy", allow_pickle=False)
        pred = Prediction(info={"algorithm": req.algorithm})
        if req.users is not None:
            exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
            parts = [
                topk_from_scores(self._scores(req, model, req.users[s]), req.users[s], req.k, exclude)
                for s in batches(len(req.users), BATCH)
            ]
            user, item, score = (
                np.concatenate([p[i] for p in parts])
                if parts
                else np.empty(0, dtype=np.float64 if i == 2 else np.int64)
                for i in range(3)
            )
            if req.config.get("fault") == "bad_predictions":
                user, item, score = self._spoil(req, user, item, score)
            pred.user, pred.item, pred.score = user, item, score
        if req.pairs is not None:
            pu, pi = req.pairs.user, req.pairs.item
            if req.algorithm == "Pop":
                pred.pair_score = model[pi]
            else:
                pred.pair_score = (
                    np.concatenate(
                        [
                            self._scores(req, model, pu[s])[np.arange(s.stop - s.start), pi[s]]
                            for s in batches(len(pu), BATCH)
                        ]
                    )
                    if len(pu)
                    else np.empty(0)
                )
        return pred

    @staticmethod
    def _spoil(req: PredictRequest, user: np.ndarray, item: np.ndarray, score: np.ndarray):
        """Add each user's first training item and duplicate each user's best row."""
        assert req.users is not None
        rows, train_items = UserIndex(req.train, req.n_users).rows_of(req.users)
        first = np.unique(rows, return_index=True)[1]
        tu, ti = req.users[rows[first]], train_items[first]
        best = np.unique(user, return_index=True)[1]
        user = np.concatenate([user, tu, user[best]])
        item = np.concatenate([item, ti, item[best]])
        score = np.concatenate([score, np.full(len(tu), 1e9), score[best]])
        return user, item, score


def _pre_request_fault() -> None:
    """Apply an OMNIREC_FAKE_FAULT environment fault; return to serve normally."""
    fault = os.environ.pop(ENV_FAULT, "")
    kind, _, arg = fault.partition(":")
    if kind == "import_error":  # a framework that is not installed in the env
        raise ModuleNotFoundError("No module named 'fakeframework'")
    if kind == "exit_before_hello":
        print("fake: exiting before the handshake", file=sys.stderr, flush=True)
        sys.exit(5)
    if kind == "hang_before_hello":
        time.sleep(3600)
    if kind == "connect_delay":
        time.sleep(float(arg))
    if kind == "wait_file":  # connect only once the test has created this file
        deadline = time.monotonic() + 120
        while not os.path.exists(arg) and time.monotonic() < deadline:
            time.sleep(0.05)
    if kind == "fingerprint":
        os.environ[worker.ENV_SERVER_FINGERPRINT] = arg
    if kind == "ca":
        os.environ[worker.ENV_CA] = arg
    if kind in ("raw", "rawclose"):
        conn = worker.connect(worker.Settings.from_env())
        conn.send_raw(bytes.fromhex(arg))
        if kind == "rawclose":
            conn.close()
        time.sleep(3600)
        sys.exit(6)


def run() -> None:
    _pre_request_fault()
    worker.main(FakeHandler())


if __name__ == "__main__":
    run()
