"""What the RecBole runner offers and which config keys it accepts (stdlib only).

Both sides import this module: ``plugin.py`` in the user's environment builds the
``RunnerSpec`` from it, and ``worker.py`` inside the runner env validates configs with
it, so the two can never disagree. The per-model defaults are copied from RecBole
1.2.1's ``recbole/properties/model/<Model>.yaml``; an integration test checks them
against the installed RecBole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RECBOLE_VERSION = "1.2.1"

# Exact versions seen installing and running together (Python 3.11, CPU torch).
REQUIREMENTS = (
    f"recbole=={RECBOLE_VERSION}",
    "torch==2.13.0",
    "numpy==1.26.4",  # RecBole 1.2.1 breaks with numpy 2
    "scipy==1.12.0",  # scipy >= 1.13 breaks RecBole's dok_matrix use (SpectralCF, GCMC, NGCF, LightGCN, NCL)
    "pandas==2.3.3",  # RecBole 1.2.1 needs pandas < 3
    "setuptools==81.0.0",  # ray (a RecBole dependency) imports pkg_resources, gone in setuptools 82
    "faiss-cpu==1.15.1",  # NCL's k-means
)


@dataclass(frozen=True)
class Model:
    """One RecBole general recommender as this runner exposes it.

    ``params`` are RecBole's own defaults (its model yaml); ``ours`` are the few we
    change, with the reason in a comment. ``closed_form``: fitted in the model
    constructor (no gradient training), so the training keys (epochs, learning
    rate...) have no effect and are refused.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    ours: Mapping[str, Any] = field(default_factory=dict)
    closed_form: bool = False
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unavailable: str = ""
    description: str = ""


# NeuMF and NNCF cannot score all items at once; RecBole's validation then scores
# eval_batch_size (user, item) pairs per call, and NNCF's convolutions over 1M pairs ran
# out of memory (23 GB). RecBole's own default is 4096.
PAIR_EVAL_BATCH = 1 << 15

_DIFF_CHOICES = {
    "noise_schedule": ("linear", "linear-var", "cosine", "binomial"),
    "mean_type": ("x0", "eps"),
}

_DIFF_PARAMS = {
    "noise_schedule": "linear",
    "noise_scale": 0.001,
    "noise_min": 0.0005,
    "noise_max": 0.005,
    "sampling_noise": False,
    "sampling_steps": 0,
    "reweight": True,
    "mean_type": "x0",
    "steps": 5,
    "history_num_per_term": 10,
    "beta_fixed": True,
    "dims_dnn": [300],
    "embedding_size": 10,
    "mlp_act_func": "tanh",
    "time-aware": False,
    "w_max": 1,
    "w_min": 0.1,
}

MODELS: tuple[Model, ...] = (
    Model("Pop", closed_form=True, description="item popularity (training interaction counts)"),
    Model(
        "ItemKNN",
        {"k": 100, "shrink": 0.0, "knn_method": "item"},
        closed_form=True,
        choices={"knn_method": ("item", "user")},
        description="item-based (or user-based) cosine k-nearest neighbours",
    ),
    Model("BPR", {"embedding_size": 64}, description="matrix factorisation, BPR loss"),
    Model(
        "NeuMF",
        {
            "mf_embedding_size": 64,
            "mlp_embedding_size": 64,
            "mlp_hidden_size": [128, 64],
            "dropout_prob": 0.1,
            "mf_train": True,
            "mlp_train": True,
            "use_pretrain": False,
            "mf_pretrain_path": None,
            "mlp_pretrain_path": None,
        },
        ours={"eval_batch_size": PAIR_EVAL_BATCH},
        description="neural collaborative filtering (GMF + MLP)",
    ),
    Model(
        "DMF",
        {
            "inter_matrix_type": "01",
            "user_embedding_size": 64,
            "item_embedding_size": 64,
            "user_hidden_size_list": [64, 64],
            "item_hidden_size_list": [64, 64],
            "embedding_size": 10,
        },
        choices={"inter_matrix_type": ("01", "rating")},
        description="deep matrix factorisation",
    ),
    Model(
        "FISM",
        {"embedding_size": 64, "split_to": 0, "reg_weights": [0.01, 0.01], "alpha": 0.0},
        description="factored item similarity",
    ),
    Model(
        "NAIS",
        {
            "algorithm": "prod",
            "embedding_size": 64,
            "weight_size": 64,
            "split_to": 0,
            "reg_weights": [1e-07, 1e-07, 1e-05],
            "alpha": 0.0,
            "beta": 0.5,
            "pretrain_path": None,
        },
        choices={"algorithm": ("prod", "concat")},
        description="neural attentive item similarity (slow on CPU)",
    ),
    Model(
        "SpectralCF",
        {"embedding_size": 64, "n_layers": 4, "reg_weight": 0.001},
        description="spectral graph convolution",
    ),
    Model(
        "GCMC",
        {
            "accum": "stack",
            "gcn_output_dim": 500,
            "embedding_size": 64,
            "dropout_prob": 0.3,
            "sparse_feature": True,
            "class_num": 2,
            "num_basis_functions": 2,
        },
        choices={"accum": ("sum", "stack")},
        description="graph convolutional matrix completion",
    ),
    Model(
        "NGCF",
        {
            "embedding_size": 64,
            "hidden_size_list": [64, 64, 64],
            "node_dropout": 0.0,
            "message_dropout": 0.1,
            "reg_weight": 1e-05,
        },
        description="neural graph collaborative filtering",
    ),
    Model(
        "LightGCN",
        {"embedding_size": 64, "n_layers": 2, "reg_weight": 1e-05},
        description="simplified graph convolution",
    ),
    Model(
        "DGCF",
        {
            "embedding_size": 64,
            "n_factors": 4,
            "n_iterations": 2,
            "n_layers": 1,
            "reg_weight": 0.001,
            "cor_weight": 0.01,
        },
        description="disentangled graph collaborative filtering",
    ),
    Model(
        "LINE",
        {"embedding_size": 64, "order": 2, "second_order_loss_weight": 1.0},
        description="large-scale information network embedding",
    ),
    Model(
        "MultiVAE",
        {
            "mlp_hidden_size": [600],
            "latent_dimension": 128,
            "dropout_prob": 0.5,
            "anneal_cap": 0.2,
            "total_anneal_steps": 200000,
        },
        description="variational auto-encoder, multinomial likelihood",
    ),
    Model(
        "MultiDAE",
        {"mlp_hidden_size": [600], "latent_dimension": 64, "dropout_prob": 0.5},
        description="denoising auto-encoder, multinomial likelihood",
    ),
    Model(
        "MacridVAE",
        {
            "embedding_size": 64,
            "dropout_prob": 0.5,
            "kfac": 10,
            "nogb": False,
            "std": 0.01,
            "encoder_hidden_size": [600],
            "tau": 0.1,
            "anneal_cap": 0.2,
            "total_anneal_steps": 200000,
            "reg_weights": [0.0, 0.0],
        },
        description="macro-disentangled variational auto-encoder",
    ),
    Model(
        "CDAE",
        {
            "loss_type": "BCE",
            "hid_activation": "relu",
            "out_activation": "sigmoid",
            "corruption_ratio": 0.5,
            "embedding_size": 64,
            "reg_weight_1": 0.0,
            "reg_weight_2": 0.01,
        },
        choices={
            "loss_type": ("BCE", "MSE"),
            "hid_activation": ("sigmoid", "relu", "tanh"),
            "out_activation": ("sigmoid", "relu"),
        },
        description="collaborative denoising auto-encoder",
    ),
    Model(
        "ENMF",
        {"embedding_size": 64, "dropout_prob": 0.7, "reg_weight": 0.0, "negative_weight": 0.5},
        description="efficient neural matrix factorisation (whole-data loss)",
    ),
    Model(
        "NNCF",
        {
            "ui_embedding_size": 64,
            "neigh_embedding_size": 32,
            "num_conv_kernel": 128,
            "conv_kernel_size": 5,
            "pool_kernel_size": 5,
            "mlp_hidden_size": [128, 64, 32, 16],
            "neigh_num": 20,
            "dropout": 0.5,
            "neigh_info_method": "random",
            "resolution": 1,
        },
        # "louvain" would need the python-louvain package, which the env does not hold.
        choices={"neigh_info_method": ("random", "knn")},
        ours={"eval_batch_size": PAIR_EVAL_BATCH},
        description="neighbourhood-based neural CF (slow on CPU)",
    ),
    Model(
        "RecVAE",
        {
            "hidden_dimension": 600,
            "latent_dimension": 200,
            "dropout_prob": 0.5,
            "beta": 0.2,
            "gamma": 0.005,
            "mixture_weights": [0.15, 0.75, 0.1],
            "n_enc_epochs": 3,
            "n_dec_epochs": 1,
        },
        description="VAE with composite prior",
    ),
    Model("EASE", {"reg_weight": 250.0}, closed_form=True, description="closed-form item-item linear model"),
    Model(
        "SLIMElastic",
        {"alpha": 0.2, "l1_ratio": 0.02, "positive_only": True, "hide_item": True},
        closed_form=True,
        description="sparse linear model (ElasticNet per item)",
    ),
    Model(
        "SGL",
        {
            "type": "ED",
            "n_layers": 3,
            "ssl_tau": 0.5,
            "reg_weight": 1e-05,
            "ssl_weight": 0.05,
            "drop_ratio": 0.1,
            "embedding_size": 64,
        },
        choices={"type": ("ED", "ND", "RW")},
        description="self-supervised graph learning on LightGCN",
    ),
    Model(
        "ADMMSLIM",
        {
            "lambda1": 3.0,
            "lambda2": 200.0,
            "alpha": 0.5,
            "rho": 4000.0,
            "k": 100,
            "positive_only": True,
            "center_columns": False,
        },
        closed_form=True,
        description="SLIM fitted with ADMM",
    ),
    Model(
        "NCEPLRec",
        {"beta": 1.0, "rank": 450, "reg_weight": 100.0},
        closed_form=True,
        description="noise-contrastive projected linear recommender (closed form)",
    ),
    Model(
        "SimpleX",
        {
            "embedding_size": 64,
            "margin": 0.5,
            "negative_weight": 10,
            "gamma": 0.5,
            "aggregator": "mean",
            "history_len": 50,
            "reg_weight": 1e-05,
            "dropout_prob": 0.1,
        },
        choices={"aggregator": ("mean", "user_attention", "self_attention")},
        description="simple two-tower model, cosine contrastive loss",
    ),
    Model(
        "NCL",
        {
            "embedding_size": 64,
            "n_layers": 3,
            "reg_weight": 0.0001,
            "ssl_temp": 0.1,
            "ssl_reg": 1e-07,
            "hyper_layers": 1,
            "alpha": 1.0,
            "proto_reg": 8e-08,
            "num_clusters": 1000,
            "m_step": 1,
            "warm_up_step": 20,
        },
        # RecBole's 1000 prototypes exceed the users of ML-100K (943): faiss k-means needs
        # at least as many users and items as clusters.
        ours={"num_clusters": 100},
        description="neighbourhood-enriched contrastive learning (k-means via faiss)",
    ),
    Model("Random", closed_form=True, description="random scores (a floor for sanity checks)"),
    Model("DiffRec", dict(_DIFF_PARAMS), choices=_DIFF_CHOICES, description="diffusion recommender"),
    Model(
        "LDiffRec",
        {
            "n_cate": 1,
            "reparam": True,
            "in_dims": [300],
            "out_dims": [],
            "ae_act_func": "tanh",
            "lamda": 0.03,
            "anneal_cap": 0.005,
            "anneal_steps": 1000,
            "vae_anneal_cap": 0.3,
            "vae_anneal_steps": 200,
            **_DIFF_PARAMS,
            "noise_scale": 0.1,
            "noise_min": 0.001,
        },
        choices=_DIFF_CHOICES,
        description="latent diffusion recommender",
    ),
)

MODELS_BY_NAME: dict[str, Model] = {m.name: m for m in MODELS}

# Our training defaults for gradient-trained models. RecBole's own default of 300
# epochs is far too long on a CPU; early stopping on the validation split (when one is
# given) usually ends training sooner anyway.
TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 50,
    "train_batch_size": 2048,
    "learning_rate": 0.001,
    "eval_step": 1,
    "stopping_step": 10,
    "valid_metric": "NDCG@10",
    # Full-sort validation scores eval_batch_size // n_items users per batch; RecBole's
    # 4096 means 2 users at a time on ML-100K, which made validation dominate training.
    "eval_batch_size": 1 << 20,
}

# Further RecBole keys a user may set for gradient-trained models (passed through).
TRAINING_KEYS = (
    *TRAINING_DEFAULTS,
    "learner",
    "weight_decay",
    "train_neg_sample_args",
    "clip_grad_norm",
    "require_pow",
    "enable_amp",
    "enable_scaler",
    "shuffle",
)

# Keys this runner sets itself; the reason is shown when a user tries to set one.
RESERVED: dict[str, str] = {
    "seed": "the job seed sets RecBole's seed",
    "reproducibility": "always True so a seed gives the same model",
    "use_gpu": "set the job's device instead (device = 'cuda')",
    "gpu_id": "set the job's device instead (device = 'cuda')",
    "device": "set the job's device instead (device = 'cuda')",
    "data_path": "the runner writes the split into the job directory",
    "checkpoint_dir": "the runner keeps checkpoints in the job directory",
    "benchmark_filename": "the runner hands over omnirec's own split",
    "eval_args": "omnirec's split is used as is; validation is full-sort ranking",
    "metrics": "derived from valid_metric (only used for early stopping)",
    "topk": "derived from valid_metric (only used for early stopping)",
    "dataset": "set by the runner",
    "model": "set by the algorithm name",
    "load_col": "set by the runner from the data it is given",
    "save_dataset": "the runner saves the trained model itself",
    "save_dataloaders": "the runner saves the trained model itself",
    "log_wandb": "logs go to the job directory",
}

LEARNERS = ("adam", "adamw", "sgd", "adagrad", "rmsprop", "sparse_adam")
RANKING_METRICS = ("Recall", "MRR", "NDCG", "Hit", "MAP", "Precision")
_VALID_METRIC = re.compile(r"^([A-Za-z]+)@([1-9][0-9]*)$")
_POSITIVE_INTS = ("epochs", "train_batch_size", "eval_step", "stopping_step", "eval_batch_size")


def accepted_keys(model: Model) -> tuple[str, ...]:
    """Config keys ``model`` accepts: its own hyperparameters, plus training keys if trained."""
    keys = list(model.params)
    if not model.closed_form:
        keys += [k for k in TRAINING_KEYS if k not in keys]
    return tuple(keys)


def defaults(model: Model) -> dict[str, Any]:
    """The config a job of ``model`` gets when the user sets nothing."""
    out = {} if model.closed_form else dict(TRAINING_DEFAULTS)
    params = {**model.params, **model.ours}
    out.update({k: list(v) if isinstance(v, list) else v for k, v in params.items()})
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _type_problem(key: str, value: Any, default: Any) -> str | None:
    """A message when ``value`` cannot stand where RecBole's default ``default`` stands."""
    if default is None:
        return None
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        want = "true or false"
    elif isinstance(default, (int, float)):
        ok = _is_number(value)
        want = "a number"
    elif isinstance(default, list):
        ok = isinstance(value, (list, tuple))
        want = "a list"
    elif isinstance(default, str):
        ok = isinstance(value, str)
        want = "a string"
    else:  # pragma: no cover - every default in the table is one of the above
        return None
    return None if ok else f"{key} must be {want}, got {value!r}"


def config_problems(algorithm: str, config: Mapping[str, Any]) -> list[str]:
    """Every reason ``config`` cannot work for ``algorithm`` (empty: it is fine)."""
    model = MODELS_BY_NAME.get(algorithm)
    if model is None:
        return [f"unknown RecBole algorithm {algorithm!r}; available: {', '.join(MODELS_BY_NAME)}"]
    valid = accepted_keys(model)
    problems: list[str] = []
    for key, value in config.items():
        if key in RESERVED:
            problems.append(f"{key} cannot be set: {RESERVED[key]}")
        elif key not in valid:
            why = (
                f"{algorithm} is fitted in closed form, so training keys have no effect; "
                if model.closed_form and key in TRAINING_KEYS
                else ""
            )
            problems.append(
                f"unknown key {key!r} for RecBole.{algorithm}; {why}valid keys: "
                + (", ".join(sorted(valid)) or "none")
            )
        elif key in model.params:
            problem = _type_problem(key, value, model.params[key])
            if problem is None and key in model.choices and value not in model.choices[key]:
                problem = f"{key} must be one of {', '.join(model.choices[key])}, got {value!r}"
            if problem:
                problems.append(problem)
        elif key in _POSITIVE_INTS:
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                problems.append(f"{key} must be a positive integer, got {value!r}")
        elif key in ("learning_rate", "weight_decay"):
            if not (_is_number(value) and (value > 0 or (key == "weight_decay" and value == 0))):
                problems.append(f"{key} must be a positive number, got {value!r}")
        elif key == "learner":
            if not (isinstance(value, str) and value.lower() in LEARNERS):
                problems.append(f"learner must be one of {', '.join(LEARNERS)}, got {value!r}")
        elif key == "valid_metric":
            m = _VALID_METRIC.match(value) if isinstance(value, str) else None
            names = {n.lower(): n for n in RANKING_METRICS}
            if m is None or m.group(1).lower() not in names:
                problems.append(
                    f"valid_metric must look like NAME@K with NAME one of "
                    f"{', '.join(RANKING_METRICS)}, got {value!r}"
                )
        elif key == "train_neg_sample_args" and value is not None and not isinstance(value, Mapping):
            problems.append(f"train_neg_sample_args must be a table (or null), got {value!r}")
        elif key in ("shuffle", "require_pow", "enable_amp", "enable_scaler") and not isinstance(value, bool):
            problems.append(f"{key} must be true or false, got {value!r}")
    return problems
