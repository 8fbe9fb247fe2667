"""RecBole runner worker: trains RecBole general recommenders on omnirec's split.

Runs inside the runner env (RecBole, torch, numpy < 2). Everything RecBole writes during
fit goes under ``<job_dir>/recbole/``: the atomic data files and its checkpoints (both
removed at the end of fit), its log (``recbole.log``) and tensorboard output
(``log_tensorboard/``). RecBole writes some of these relative to the working directory,
so fit runs with that folder as cwd. The trained model is saved as
``<job_dir>/model.pth`` with its sha256 in ``<job_dir>/model.json``; predict unpickles
it only after checking that hash, and writes nothing into ``job_dir`` (omnirec hashes
the model files after fit and refits when they change).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from omnirec_core.runner import (
    ConfigError,
    FitRequest,
    Handler,
    Prediction,
    PredictRequest,
    UserIndex,
    batches,
    topk_from_scores,
)
from omnirec_core.runner.fs import atomic_write_json
from omnirec_recbole import atomic, catalog, trusted

MODEL_FILE = "model.pth"
META_FILE = "model.json"
WORK_DIR = "recbole"
# Scores per full-sort batch (users x items); bounds predict memory to ~100 MB of float64.
SCORE_BUDGET = 1 << 23
MAX_USERS_PER_BATCH = 4096
# (user, item) pairs per predict() call for models without full-sort scoring (NeuMF,
# NNCF): their per-pair networks hold large activations (NNCF's convolutions ran out of
# memory with all ML-100K pairs in one call).
PAIR_BUDGET = 1 << 15

log = logging.getLogger("omnirec.recbole")


def _seed(seed: int) -> int:
    """The job seed as RecBole can use it: ``init_seed`` calls ``np.random.seed``, which
    takes 0..2**32-1, while omnirec's job seeds are 64-bit."""
    return int(seed) % 2**32


def _device(requested: str) -> str:
    """``cuda`` when asked for and torch sees a GPU, else ``cpu``."""
    return "cuda" if requested.startswith("cuda") and torch.cuda.is_available() else "cpu"


@contextlib.contextmanager
def _recbole_session(cwd: Path, log_file: Path | None = None) -> Iterator[None]:
    """Run RecBole code with ``cwd`` as working directory and a clean ``sys.argv``.

    RecBole writes tensorboard files (``log_tensorboard/``) relative to the cwd, its
    ``Config`` parses ``sys.argv`` (a ``--key=value`` argument would override settings)
    and sets ``CUDA_VISIBLE_DEVICES`` as a side effect; all three are restored
    afterwards. With ``log_file``, RecBole's root-logger output goes there too.
    """
    from recbole.utils.logger import RemoveColorFilter

    cwd.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    handler = None
    old = (os.getcwd(), sys.argv, root.level, os.environ.get("CUDA_VISIBLE_DEVICES"))
    if log_file is not None:
        handler = logging.FileHandler(log_file, mode="w")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler.addFilter(RemoveColorFilter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    os.chdir(cwd)
    sys.argv = sys.argv[:1]
    try:
        with warnings.catch_warnings():
            # RecBole 1.2.1 on pandas 2.3 / torch 2.13: chained-assignment and torch.cuda.amp
            # deprecation notices on every run, nothing a user can act on.
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            yield
    finally:
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
            root.setLevel(old[2])
        sys.argv = old[1]
        os.chdir(old[0])
        if old[3] is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = old[3]


def _plain(value: Any) -> Any:
    """Tuples (from msgpack or TOML) as lists: RecBole models concatenate lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _config(req: FitRequest, work: Path, load_col: dict[str, list[str]], device: str):
    """RecBole ``Config``: RecBole's yaml < our defaults < the user's keys < runner-owned keys."""
    from recbole.config import Config

    model = catalog.MODELS_BY_NAME[req.algorithm]
    merged = {
        "eval_batch_size": catalog.TRAINING_DEFAULTS["eval_batch_size"],
        **catalog.defaults(model),
        **_plain(req.config),
    }
    metric = merged.pop("valid_metric", catalog.TRAINING_DEFAULTS["valid_metric"])
    name, k = metric.split("@")
    name = {m.lower(): m for m in catalog.RANKING_METRICS}[name.lower()]
    if model.closed_form:
        merged["epochs"] = 1  # NCEPLRec uses the gradient trainer but learns nothing per epoch
    # RecBole eval()s string values of config_dict; strings are set verbatim afterwards.
    strings = {key: v for key, v in merged.items() if isinstance(v, str)}
    given = {key: v for key, v in merged.items() if key not in strings}
    given.update(
        seed=_seed(req.seed),
        reproducibility=True,
        data_path=str(work / "data"),
        checkpoint_dir=str(work / "saved"),
        benchmark_filename=list(atomic.PHASES),
        load_col=load_col,
        USER_ID_FIELD=atomic.USER,
        ITEM_ID_FIELD=atomic.ITEM,
        RATING_FIELD=atomic.RATING,
        TIME_FIELD=atomic.TIME,
        metrics=[name],
        topk=[int(k)],
        use_gpu=device == "cuda",
        # RecBole sets CUDA_VISIBLE_DEVICES to gpu_id; keep the scheduler's choice.
        gpu_id=(os.environ.get("CUDA_VISIBLE_DEVICES") or "0") if device == "cuda" else "",
        show_progress=False,
        save_dataset=False,
        save_dataloaders=False,
        log_wandb=False,
        state="INFO",
    )
    config = Config(model=req.algorithm, dataset=atomic.DATASET, config_dict=given)
    for key, value in strings.items():
        config[key] = value
    config["valid_metric"] = f"{name}@{k}"
    return config


def _hash_checkpoints(trainer) -> dict[str, str]:
    """Record the sha256 of every checkpoint RecBole's trainer writes, as it writes it."""
    recorded: dict[str, str] = {}
    save = trainer._save_checkpoint

    def save_and_hash(epoch, *args, **kwargs):
        save(epoch, *args, **kwargs)
        path = str(kwargs.get("saved_model_file", trainer.saved_model_file))
        recorded[path] = trusted.sha256_file(path)

    trainer._save_checkpoint = save_and_hash
    return recorded


def _restore_best(trainer, model, recorded: dict[str, str], device: str) -> int | None:
    """Load the best checkpoint into ``model``; return its epoch (None: none was saved).

    This replaces RecBole's own end-of-training reload (``Trainer.evaluate(
    load_best_model=True)``), whose plain ``torch.load`` fails on torch >= 2.6 because
    the checkpoint holds a pickled Config: we load it with ``weights_only=False``, and
    only after its hash matches the one recorded when the trainer wrote it.
    """
    path = str(trainer.saved_model_file)
    if path not in recorded:
        return None
    checkpoint = trusted.load(Path(path), recorded[path], map_location=device)
    model.load_state_dict(checkpoint["state_dict"])
    model.load_other_parameter(checkpoint.get("other_parameter"))
    return int(checkpoint["epoch"])


def _move(model, device: str):
    """Put a loaded model on ``device``; RecBole models also keep the device as an attribute."""
    model = model.to(device)
    for module in model.modules():
        if hasattr(module, "device"):
            with contextlib.suppress(AttributeError):
                module.device = torch.device(device)
    return model


def _full_sort(model, uids: np.ndarray, n_internal: int, device: str) -> np.ndarray:
    """Scores of every internal item (column 0 is [PAD]) for a batch of internal user ids."""
    from recbole.data.interaction import Interaction

    users = torch.as_tensor(uids, dtype=torch.long, device=device)
    try:
        scores = model.full_sort_predict(Interaction({model.USER_ID: users}))
    except NotImplementedError:
        # NeuMF and NNCF only score pairs: score every (user, item) pair, in chunks, as
        # RecBole's own full-sort evaluation does.
        pair_user = users.repeat_interleave(n_internal)
        pair_item = torch.arange(n_internal, device=device).repeat(len(users))
        scores = torch.cat(
            [
                model.predict(
                    Interaction({model.USER_ID: pair_user[part], model.ITEM_ID: pair_item[part]})
                ).reshape(-1)
                for part in batches(len(pair_user), PAIR_BUDGET)
            ]
        )
    return scores.view(len(uids), n_internal).to(torch.float64).cpu().numpy()


def identity(x):
    """Picklable stand-in for the ``lambda x: x`` activations GCMC keeps as attributes."""
    return x


def _make_picklable(model) -> None:
    """Swap identity lambdas held by submodules for :func:`identity` (same behaviour).

    The whole model object is saved, and pickle cannot save a lambda.
    """
    probe = object()
    for module in model.modules():
        for name, value in list(vars(module).items()):
            if getattr(value, "__name__", "") != "<lambda>":
                continue
            try:
                same = value(probe) is probe
            except Exception:
                same = False
            if same:
                setattr(module, name, identity)


def _check_data(req: FitRequest) -> None:
    """Config limits that depend on the data, caught before any training."""
    if req.algorithm == "NCL":
        model = catalog.MODELS_BY_NAME["NCL"]
        clusters = req.config.get("num_clusters", model.ours["num_clusters"])
        if clusters > min(req.n_users, req.n_items):
            raise ConfigError(
                f"RecBole.NCL: num_clusters={clusters} exceeds the {req.n_users} users / "
                f"{req.n_items} items; k-means needs at least as many points as clusters"
            )


class RecBoleHandler(Handler):
    """Fits RecBole general recommenders and ranks all items with full-sort prediction."""

    name = "RecBole"

    def framework_version(self) -> str:
        import recbole

        return recbole.__version__

    def check_config(self, algorithm: str, config: dict[str, Any]) -> None:
        problems = catalog.config_problems(algorithm, config)
        if problems:
            raise ConfigError("; ".join(problems))

    def fit(self, req: FitRequest) -> dict[str, Any]:
        from recbole.data import create_dataset, data_preparation
        from recbole.utils import get_model, get_trainer, init_seed

        self.check_config(req.algorithm, req.config)
        _check_data(req)
        job = Path(req.job_dir).resolve()
        work = job / WORK_DIR
        # RecBole unpickles a saved dataset/dataloader it finds in checkpoint_dir without
        # any check, so nothing left over from an earlier attempt may stay there.
        for stale in ("data", "saved"):
            shutil.rmtree(work / stale, ignore_errors=True)
        device = _device(req.device)
        torch.set_num_threads(max(1, int(req.threads)))
        val = req.val if req.val is not None and len(req.val) else None
        started = time.perf_counter()
        with _recbole_session(work, log_file=work / "recbole.log"):
            load_col = atomic.write_benchmark(work / "data", req.train, val, req.n_users, req.n_items)
            config = _config(req, work, load_col, device)
            init_seed(config["seed"], config["reproducibility"])
            dataset = create_dataset(config)
            train_data, valid_data, _ = data_preparation(config, dataset)
            init_seed(config["seed"], config["reproducibility"])
            model = get_model(req.algorithm)(config, train_data._dataset).to(config["device"])
            trainer = get_trainer(config["MODEL_TYPE"], req.algorithm)(config, model)
            recorded = _hash_checkpoints(trainer)
            try:
                # Without a validation split there is no early stopping: all epochs run.
                best_score, best_result = trainer.fit(
                    train_data,
                    valid_data if val is not None else None,
                    saved=True,
                    show_progress=False,
                )
            finally:
                # Flush now: the writer's thread would otherwise touch the model dir
                # later, after omnirec has hashed it.
                if getattr(trainer, "tensorboard", None) is not None:
                    trainer.tensorboard.close()
            best_epoch = _restore_best(trainer, model, recorded, config["device"])
            model.eval()
            users = atomic.our_ids(dataset, atomic.USER)
            items = atomic.our_ids(dataset, atomic.ITEM)
            epochs_run = len(trainer.train_loss_dict)
        if len(items) != req.n_items or len(users) != req.n_users:
            raise RuntimeError(
                f"RecBole's vocabulary has {len(users)} users / {len(items)} items, "
                f"expected {req.n_users} / {req.n_items}"
            )
        _make_picklable(model)
        model_sha = trusted.save(model, job / MODEL_FILE)
        np.save(job / "user_ids.npy", users, allow_pickle=False)
        np.save(job / "item_ids.npy", items, allow_pickle=False)
        meta = {
            "algorithm": req.algorithm,
            "recbole": self.framework_version(),
            "torch": torch.__version__,
            "model_file": MODEL_FILE,
            "model_sha256": model_sha,
            # RecBole's checkpoints as written during training (deleted below).
            "checkpoint_sha256": {Path(p).name: h for p, h in recorded.items()},
            "best_epoch": best_epoch,
            "epochs_run": epochs_run,
            "n_users": req.n_users,
            "n_items": req.n_items,
            "fit_device": device,
        }
        atomic_write_json(job / META_FILE, meta)
        # The model file holds everything predict needs; RecBole's checkpoints (with
        # optimizer state) and the text copy of the split would only take up space.
        shutil.rmtree(work / "saved", ignore_errors=True)
        shutil.rmtree(work / "data", ignore_errors=True)
        return {
            "recbole": meta["recbole"],
            "device": device,
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "best_valid_score": None if best_result is None else float(best_score),
            "best_valid_result": {k: float(v) for k, v in (best_result or {}).items()},
            "fit_seconds": round(time.perf_counter() - started, 3),
        }

    def predict(self, req: PredictRequest) -> Prediction:
        from recbole.utils import init_seed

        if req.pairs is not None and len(req.pairs):
            raise ValueError(
                f"RecBole.{req.algorithm} ranks items; this runner does not predict ratings for test pairs"
            )
        job = Path(req.job_dir).resolve()
        meta = json.loads((job / META_FILE).read_text())
        if (meta["n_users"], meta["n_items"]) != (req.n_users, req.n_items):
            raise ValueError(
                f"model in {job} was fitted on {meta['n_users']} users / {meta['n_items']} "
                f"items, the request has {req.n_users} / {req.n_items}"
            )
        device = _device(req.device)
        torch.set_num_threads(max(1, int(req.threads)))
        users = np.arange(req.n_users) if req.users is None else np.asarray(req.users, np.int64)
        if len(users) and (users.min() < 0 or users.max() >= req.n_users):
            raise ValueError(f"user ids must lie in 0..{req.n_users - 1}")
        item_ids = np.load(job / "item_ids.npy", allow_pickle=False)
        internal_user = atomic.internal_index(np.load(job / "user_ids.npy", allow_pickle=False), req.n_users)
        exclude = UserIndex(req.train, req.n_users) if req.exclude_train else None
        n_internal = len(item_ids) + 1
        per_batch = max(1, min(MAX_USERS_PER_BATCH, SCORE_BUDGET // n_internal))
        parts = []
        started = time.perf_counter()
        # Predict must leave the model dir exactly as fit left it (omnirec hashes it), so
        # RecBole runs in a scratch cwd here and logs nothing to the job dir.
        with (
            tempfile.TemporaryDirectory(prefix="omnirec-recbole-") as scratch,
            _recbole_session(Path(scratch)),
        ):
            model = _move(trusted.load(job / MODEL_FILE, meta["model_sha256"], device), device)
            model.eval()
            # Seeded so that stochastic scorers (Random, sampling diffusion) repeat.
            init_seed(_seed(req.seed), True)
            with torch.no_grad():
                for part in batches(len(users), per_batch):
                    batch = users[part]
                    scores = _full_sort(model, internal_user[batch], n_internal, device)
                    dense = np.full((len(batch), req.n_items), -np.inf)
                    dense[:, item_ids] = scores[:, 1:]  # drop [PAD], columns in our item ids
                    parts.append(topk_from_scores(dense, batch, req.k, exclude))
        if parts:
            user, item, score = (np.concatenate(c) for c in zip(*parts))
        else:
            user = item = np.empty(0, np.int64)
            score = np.empty(0, np.float64)
        return Prediction(
            user=user,
            item=item,
            score=score,
            info={"device": device, "predict_seconds": round(time.perf_counter() - started, 3)},
        )


if __name__ == "__main__":
    from omnirec_core.runner.serve import main

    main(RecBoleHandler())
