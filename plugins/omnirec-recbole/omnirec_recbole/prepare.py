"""RecBole's dataset and data loaders for a job: built from the split, or reused.

Building them (writing the atomic files, ``create_dataset``, ``data_preparation``) costs
seconds on a million interactions, more than an epoch of a small model; a runner
serving grid points or tuning trials on one split builds them once. The reuse key is
the split's content (``FitRequest.data_key``) plus every RecBole config value except
those that only shape the model or the training loop (:data:`NOT_DATA`) or name the
job's own directories: loaders are reused only when batch sizes, negative sampling,
shuffling, model type and input type, evaluation settings and the rest are equal.

A reused loader gets the new job's config and has its shuffling generator re-seeded
from it, which is the state RecBole gives a freshly built loader; negative sampling
draws from the global generators, which ``init_seed`` resets before every model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omnirec_core.runner import FitRequest, Interactions, PreparedCache
from omnirec_recbole import atomic

#: Config keys that cannot change RecBole's data preparation: the seed (loaders are
#: re-seeded), training-loop and validation-metric settings, and per-job paths and logging.
NOT_DATA = frozenset(
    {
        "seed",
        "data_path",
        "checkpoint_dir",
        "epochs",
        "learning_rate",
        "learner",
        "weight_decay",
        "eval_step",
        "stopping_step",
        "clip_grad_norm",
        "require_pow",
        "enable_amp",
        "enable_scaler",
        "valid_metric",
        "valid_metric_bigger",
        "metrics",
        "topk",
        "loss_decimal_place",
        "metric_decimal_place",
        "log_wandb",
        "wandb_project",
        "state",
        "show_progress",
    }
)


def preparation_key(config: Any, model_params: Iterable[str]) -> str:
    """Hash of every config value that may shape the dataset or the loaders."""
    skip = NOT_DATA | set(model_params)
    items = sorted((k, repr(v)) for k, v in config.final_config_dict.items() if k not in skip)
    return hashlib.sha256(repr(items).encode()).hexdigest()


def dataset_and_loaders(
    cache: PreparedCache,
    req: FitRequest,
    config: Any,
    val: Interactions | None,
    work: Path,
    model_params: Iterable[str],
) -> tuple[Any, Any, Any]:
    """(dataset, train loader, valid loader) for this job, from ``cache`` when possible."""
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    def build() -> tuple[Any, Any, Any]:
        atomic.write_benchmark(work / "data", req.train, val, req.n_users, req.n_items)
        init_seed(config["seed"], config["reproducibility"])
        dataset = create_dataset(config)
        train_data, valid_data, _ = data_preparation(config, dataset)
        return dataset, train_data, valid_data

    key = ("recbole", req.data_key, preparation_key(config, model_params))
    dataset, train_data, valid_data = cache.get_or_build(key, build)
    for loader in (train_data, valid_data):
        loader.update_config(config)
        loader.generator.manual_seed(config["seed"])
        loader._dataset.config = config
    dataset.config = config
    return dataset, train_data, valid_data
