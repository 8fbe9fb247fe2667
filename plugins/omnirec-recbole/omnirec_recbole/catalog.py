"""What the RecBole runner offers and which config keys it accepts (stdlib only).

Both sides import this module: ``plugin.py`` in the user's environment builds the
``RunnerSpec`` from it, and ``worker.py`` inside the runner env validates configs with
it, so the two can never disagree. The per-model defaults are copied from RecBole
1.2.1's ``recbole/properties/model/<Model>.yaml``; an integration test checks them
against the installed RecBole.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from omnirec_core.plugin.specs import NO_DEFAULT, Param, config_problem

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
    Model(
        "Pop",
        closed_form=True,
        description="RecBole's popularity: per training batch, +1 for each distinct item in it, sampled negatives included (not exact counts; see the notes)",
    ),
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

# ---- typed declarations ---------------------------------------------------------------

#: Type, inclusive range and meaning of each numeric model hyperparameter, by RecBole's
#: key name (the same name means the same thing across RecBole's general models, except
#: the few per-model entries in ``_MODEL_KEYS``). Lists, flags, strings and null-default
#: paths are typed from their default (see ``_param``).
_KEYS: dict[str, tuple[type, float | None, float | None, str]] = {
    # sizes and counts
    "embedding_size": (int, 1, None, "embedding size"),
    "mf_embedding_size": (int, 1, None, "embedding size of the MF part"),
    "mlp_embedding_size": (int, 1, None, "embedding size of the MLP part"),
    "user_embedding_size": (int, 1, None, "user embedding size"),
    "item_embedding_size": (int, 1, None, "item embedding size"),
    "ui_embedding_size": (int, 1, None, "user and item embedding size"),
    "neigh_embedding_size": (int, 1, None, "embedding size of the neighbourhood"),
    "weight_size": (int, 1, None, "attention network size"),
    "latent_dimension": (int, 1, None, "latent dimension"),
    "hidden_dimension": (int, 1, None, "hidden layer size"),
    "gcn_output_dim": (int, 1, None, "graph convolution output size"),
    "n_layers": (int, 1, None, "graph convolution layers"),
    "hyper_layers": (int, 1, None, "layers between an embedding and its structural neighbours"),
    "n_factors": (int, 1, None, "disentangled factors (must divide embedding_size)"),
    "n_iterations": (int, 1, None, "routing iterations"),
    "kfac": (int, 1, None, "macro concepts"),
    "class_num": (int, 1, None, "rating classes"),
    "num_basis_functions": (int, 1, None, "basis functions of the decoder"),
    "num_conv_kernel": (int, 1, None, "convolution kernels"),
    "conv_kernel_size": (int, 1, None, "convolution kernel size"),
    "pool_kernel_size": (int, 1, None, "pooling kernel size"),
    "neigh_num": (int, 1, None, "neighbours per user and item"),
    "history_len": (int, 1, None, "history items kept per user"),
    "num_clusters": (int, 1, None, "k-means prototypes (at most the number of users and of items)"),
    "m_step": (int, 1, None, "epochs between k-means updates"),
    "warm_up_step": (int, 0, None, "epochs before the prototype loss starts"),
    "n_enc_epochs": (int, 1, None, "encoder passes per epoch"),
    "n_dec_epochs": (int, 1, None, "decoder passes per epoch"),
    "rank": (int, 1, None, "rank of the item projection"),
    "split_to": (int, 0, None, "chunks the item set is split into to save memory (0: none)"),
    "k": (int, 1, None, "neighbours kept per item"),
    "n_cate": (int, 1, None, "item clusters of the latent diffusion"),
    "steps": (int, 1, None, "diffusion steps"),
    "sampling_steps": (int, 0, None, "forward steps at inference (0: none)"),
    "history_num_per_term": (int, 1, None, "history kept per step to weight the loss"),
    "total_anneal_steps": (int, 0, None, "batches over which the KL weight grows to anneal_cap (0: at once)"),
    "anneal_steps": (int, 0, None, "batches over which the reconstruction weight is annealed (0: none)"),
    "vae_anneal_steps": (int, 0, None, "batches over which the VAE's KL weight grows (0: at once)"),
    # probabilities and shares
    "dropout_prob": (float, 0, 1, "dropout probability"),
    "dropout": (float, 0, 1, "dropout probability"),
    "node_dropout": (float, 0, 1, "node dropout probability"),
    "message_dropout": (float, 0, 1, "message dropout probability"),
    "drop_ratio": (float, 0, 1, "share of edges or nodes dropped for augmentation"),
    "corruption_ratio": (float, 0, 1, "share of the input corrupted"),
    "l1_ratio": (float, 0, 1, "share of L1 in the elastic-net penalty"),
    # penalties and weights
    "reg_weight": (float, 0, None, "L2 regularisation weight"),
    "reg_weight_1": (float, 0, None, "L1 regularisation weight"),
    "reg_weight_2": (float, 0, None, "L2 regularisation weight"),
    "cor_weight": (float, 0, None, "weight of the independence (distance correlation) loss"),
    "ssl_weight": (float, 0, None, "weight of the self-supervised loss"),
    "ssl_reg": (float, 0, None, "weight of the structural contrastive loss"),
    "proto_reg": (float, 0, None, "weight of the prototype contrastive loss"),
    "second_order_loss_weight": (float, 0, None, "weight of the second-order loss"),
    "negative_weight": (float, 0, None, "weight of negative (unobserved) items"),
    "lambda1": (float, 0, None, "L1 penalty"),
    "lambda2": (float, 0, None, "L2 penalty"),
    "rho": (float, 0, None, "ADMM penalty"),
    "lamda": (float, 0, None, "weight of the reconstruction loss"),
    "anneal_cap": (float, 0, None, "largest KL weight"),
    "vae_anneal_cap": (float, 0, None, "largest KL weight of the VAE"),
    "shrink": (float, 0, None, "shrinkage of the similarities"),
    "std": (float, 0, None, "standard deviation of the prior"),
    "tau": (float, 0, None, "softmax temperature (> 0)"),
    "ssl_tau": (float, 0, None, "contrastive temperature (> 0)"),
    "ssl_temp": (float, 0, None, "contrastive temperature (> 0)"),
    "margin": (float, None, None, "margin of the cosine contrastive loss"),
    "noise_scale": (float, 0, None, "scale of the noise"),
    "noise_min": (float, 0, None, "lower bound of the noise (at most noise_max)"),
    "noise_max": (float, 0, None, "upper bound of the noise"),
    "w_min": (float, 0, None, "smallest time-aware interaction weight"),
    "w_max": (float, 0, None, "largest time-aware interaction weight"),
    "resolution": (float, 0, None, "resolution of the louvain communities (louvain only)"),
}

#: Keys whose meaning (and so range) differs per model.
_MODEL_KEYS: dict[tuple[str, str], tuple[type, float | None, float | None, str]] = {
    ("FISM", "alpha"): (float, 0, 1, "normalisation exponent of the history size"),
    ("NAIS", "alpha"): (float, 0, 1, "normalisation exponent of the history size"),
    ("NAIS", "beta"): (float, 0, 1, "smoothing exponent of the attention softmax"),
    ("SLIMElastic", "alpha"): (float, 0, None, "elastic-net penalty strength"),
    ("ADMMSLIM", "alpha"): (float, 0, None, "popularity weighting exponent"),
    ("ADMMSLIM", "k"): (int, 1, None, "neighbours kept per item"),
    ("NCL", "alpha"): (float, 0, None, "weight of the item side in the structural loss"),
    ("RecVAE", "beta"): (float, 0, None, "KL weight"),
    ("RecVAE", "gamma"): (float, 0, None, "KL weight per interaction of the user"),
    ("NCEPLRec", "beta"): (float, 0, None, "popularity exponent of the noise contrastive weights"),
    ("NCEPLRec", "reg_weight"): (float, 0, None, "L2 penalty of the projection"),
    ("EASE", "reg_weight"): (float, 0, None, "L2 penalty λ on the item-item weights"),
    ("SimpleX", "gamma"): (float, 0, 1, "weight of the user's own embedding against its history"),
    ("LINE", "order"): (int, 1, 2, "proximity order: 1 or 2"),
}

#: The meaning of each flag, choice, list and path hyperparameter.
_TEXT: dict[str, str] = {
    "accum": "how the messages of the rating classes are combined",
    "ae_act_func": "activation of the auto-encoder",
    "aggregator": "how a user's history is aggregated",
    "algorithm": "attention network: product or concatenation",
    "beta_fixed": "fix the variance of the first diffusion step",
    "center_columns": "centre the item columns first",
    "dims_dnn": "layer sizes of the denoising network",
    "encoder_hidden_size": "encoder layer sizes",
    "hid_activation": "hidden-layer activation",
    "hidden_size_list": "sizes of the propagation layers",
    "hide_item": "hide each item from its own regression",
    "in_dims": "encoder layer sizes",
    "inter_matrix_type": "interaction matrix: 01 (binary) or rating",
    "item_hidden_size_list": "item tower layer sizes",
    "knn_method": "item-based or user-based neighbours",
    "loss_type": "training loss",
    "mean_type": "what the model predicts: the clean input (x0) or the noise (eps)",
    "mf_pretrain_path": "path of a pre-trained MF part",
    "mf_train": "train the MF part",
    "mixture_weights": "weights of the composite prior's three parts",
    "mlp_act_func": "activation of the MLP",
    "mlp_hidden_size": "MLP layer sizes",
    "mlp_pretrain_path": "path of a pre-trained MLP part",
    "mlp_train": "train the MLP part",
    "neigh_info_method": "how neighbourhoods are found",
    "noise_schedule": "noise schedule",
    "nogb": "no Gumbel-softmax (use plain softmax)",
    "out_activation": "output activation",
    "out_dims": "decoder layer sizes (empty: the encoder's, reversed)",
    "positive_only": "keep only positive weights",
    "pretrain_path": "path of a pre-trained FISM model",
    "reg_weights": "regularisation weights",
    "reparam": "sample the latent with the reparameterisation trick",
    "reweight": "weight the diffusion steps by their loss",
    "sampling_noise": "add noise when sampling at inference",
    "sparse_feature": "sparse one-hot node features",
    "time-aware": "weight interactions by time (T-DiffRec)",
    "type": "graph augmentation: ED (edge drop), ND (node drop) or RW (random walk)",
    "use_pretrain": "start from the pre-trained parts",
    "user_hidden_size_list": "user tower layer sizes",
}

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leakyrelu", "dice", "none")
_CHOICES_BY_KEY = {"mlp_act_func": _ACTIVATIONS, "ae_act_func": _ACTIVATIONS}


def _param(model: Model, key: str, default: Any) -> Param:
    """The typed declaration of one of ``model``'s hyperparameters."""
    choices = model.choices.get(key) or _CHOICES_BY_KEY.get(key)
    if isinstance(default, bool):
        return Param(key, bool, default=default, description=_TEXT[key])
    if isinstance(default, list):
        return Param(key, (list, tuple), default=list(default), description=_TEXT[key])
    if isinstance(default, str) or choices:
        return Param(key, str, default=default, choices=choices, description=_TEXT[key])
    if default is None:  # the pre-trained-model paths
        return Param(key, str, default=None, nullable=True, description=_TEXT[key] + " (null: none)")
    t, low, high, meaning = _MODEL_KEYS.get((model.name, key)) or _KEYS[key]
    return Param(key, t, default=default, low=low, high=high, description=meaning)


# Our training defaults for gradient-trained models: RecBole's own (overall.yaml) except
# the keys in TRAINING_OVERRIDES.
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
    "learner": "adam",
    "weight_decay": 0.0,
    "train_neg_sample_args": {
        "distribution": "uniform",
        "sample_num": 1,
        "alpha": 1.0,
        "dynamic": False,
        "candidate_num": 0,
    },
    "clip_grad_norm": None,
    "require_pow": False,
    "enable_amp": False,
    "enable_scaler": False,
    "shuffle": True,
}

#: RecBole's own value of each training key we change, and why we change it.
TRAINING_OVERRIDES: dict[str, tuple[Any, str]] = {
    "epochs": (300, "300 epochs are far too long on a CPU; early stopping usually ends sooner anyway"),
    "valid_metric": ("MRR@10", "NDCG@10 is the ranking metric omnirec reports first"),
    "eval_batch_size": (4096, "full-sort validation scored 2 ML-100K users per batch"),
}

LEARNERS = ("adam", "adamw", "sgd", "adagrad", "rmsprop", "sparse_adam")
RANKING_METRICS = ("Recall", "MRR", "NDCG", "Hit", "MAP", "Precision")
_VALID_METRIC = re.compile(r"^([A-Za-z]+)@([1-9][0-9]*)$")


def _training_params() -> tuple[Param, ...]:
    d = TRAINING_DEFAULTS

    def count(key: str, what: str) -> Param:
        return Param(key, int, default=d[key], low=1, description=what)

    return (
        count("epochs", "training epochs (RecBole's default: 300)"),
        count("train_batch_size", "training batch size"),
        Param(
            "learning_rate",
            float,
            default=d["learning_rate"],
            low=0.0,
            low_open=True,
            description="learning rate",
        ),
        count("eval_step", "epochs between two validations"),
        count("stopping_step", "validations without improvement before stopping early"),
        Param(
            "valid_metric",
            str,
            default=d["valid_metric"],
            description="NAME@K with NAME one of "
            + ", ".join(RANKING_METRICS)
            + ": the early-stopping measure (RecBole's default: MRR@10)",
        ),
        count("eval_batch_size", "scores per validation batch (RecBole's default: 4096)"),
        Param("learner", str, default=d["learner"], choices=LEARNERS, description="optimiser"),
        Param(
            "weight_decay", float, default=d["weight_decay"], low=0.0, description="optimiser weight decay"
        ),
        Param(
            "train_neg_sample_args",
            dict,
            default=dict(d["train_neg_sample_args"]),
            nullable=True,
            description="negative sampling: {distribution = uniform or popularity, sample_num, alpha, "
            "dynamic, candidate_num} (null: none)",
        ),
        Param(
            "clip_grad_norm",
            dict,
            default=None,
            nullable=True,
            description="arguments of torch's clip_grad_norm_, e.g. {max_norm = 5} (null: no clipping)",
        ),
        Param("require_pow", bool, default=False, description="square the embedding norms in the L2 loss"),
        Param("enable_amp", bool, default=False, description="mixed-precision training"),
        Param("enable_scaler", bool, default=False, description="gradient scaling with mixed precision"),
        Param("shuffle", bool, default=True, description="shuffle the training data every epoch"),
    )


def params(model: Model) -> tuple[Param, ...]:
    """Every config key ``model`` accepts: its hyperparameters, plus the training keys if
    it is trained. Defaults are RecBole's, except ``model.ours`` and TRAINING_OVERRIDES."""
    own = tuple(_param(model, key, model.ours.get(key, value)) for key, value in model.params.items())
    if model.closed_form:
        return own
    names = {p.name for p in own}
    extra = [p for p in _training_params() if p.name not in names]
    ours = {key: value for key, value in model.ours.items() if key not in model.params}
    return own + tuple(replace(p, default=ours[p.name]) if p.name in ours else p for p in extra)


def accepted_keys(model: Model) -> tuple[str, ...]:
    """Config keys ``model`` accepts: its own hyperparameters, plus training keys if trained."""
    return tuple(p.name for p in params(model))


def defaults(model: Model) -> dict[str, Any]:
    """The config a job of ``model`` gets when the user sets nothing (fresh copies)."""
    return {p.name: copy.deepcopy(p.default) for p in params(model) if p.default is not NO_DEFAULT}


#: Recommended search spaces (plan-file tables); sources in docs/runners/recbole.md.
#: ``epochs`` is fixed, not searched, so a tuned run on ML-100K stays minutes.
SEARCH_SPACES: dict[str, dict[str, Any]] = {
    "BPR": {"learning_rate": {"loguniform": [5e-5, 7e-3]}, "epochs": [20]},
    "LightGCN": {
        "learning_rate": {"loguniform": [5e-4, 2e-3]},
        "n_layers": {"int": [1, 4]},
        "reg_weight": {"loguniform": [1e-5, 1e-2]},
        "epochs": [20],
    },
    "MultiVAE": {"learning_rate": {"loguniform": [1e-4, 1e-2]}, "epochs": [30], "train_batch_size": [128]},
    "NeuMF": {
        "learning_rate": {"loguniform": [5e-5, 5e-3]},
        "dropout_prob": {"categorical": [0.0, 0.1, 0.2]},
        "epochs": [10],
    },
}

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

_TRAINING_KEYS = frozenset(TRAINING_DEFAULTS)


def config_problems(algorithm: str, config: Mapping[str, Any]) -> list[str]:
    """Every reason ``config`` cannot work for ``algorithm`` (empty: it is fine).

    The declared params (the coordinator's own check, :func:`config_problem`), with the
    reason for runner-owned and closed-form-only refusals, and what a ``Param`` cannot
    say: the form of ``valid_metric`` and of ``train_neg_sample_args``' distribution.
    """
    model = MODELS_BY_NAME.get(algorithm)
    if model is None:
        return [f"unknown RecBole algorithm {algorithm!r}; available: {', '.join(MODELS_BY_NAME)}"]
    label = f"RecBole.{algorithm}"
    problems = [f"{label}: {key} cannot be set: {RESERVED[key]}" for key in config if key in RESERVED]
    idle = [key for key in config if model.closed_form and key in _TRAINING_KEYS]
    if idle:
        problems.append(
            f"{label} is fitted in closed form, so training keys have no effect: "
            f"{', '.join(map(repr, idle))}; valid keys: {', '.join(accepted_keys(model)) or 'none'}"
        )
    rest = {k: v for k, v in config.items() if k not in RESERVED and k not in idle}
    problem = config_problem(label, params(model), rest)
    if problem is not None:
        problems.append(problem)
    metric = rest.get("valid_metric")
    if isinstance(metric, str):
        m = _VALID_METRIC.match(metric)
        if m is None or m.group(1).lower() not in {n.lower() for n in RANKING_METRICS}:
            problems.append(
                f"{label}: valid_metric must look like NAME@K with NAME one of "
                f"{', '.join(RANKING_METRICS)}, got {metric!r}"
            )
    neg = rest.get("train_neg_sample_args")
    if isinstance(neg, Mapping) and neg.get("distribution", "uniform") not in (
        "uniform",
        "popularity",
        None,
        "none",
    ):
        problems.append(
            f"{label}: train_neg_sample_args.distribution must be uniform or popularity "
            f"(or null: no sampling), got {neg.get('distribution')!r}"
        )
    return problems
