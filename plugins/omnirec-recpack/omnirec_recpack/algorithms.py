"""The RecPack algorithms this runner offers, as plain data.

Imported by both sides: ``plugin.py`` (user environment, no RecPack) builds the
``AlgorithmSpec`` records from it, and ``worker.py`` (runner env) checks configs and
fills defaults from the same declarations. Each config key is a RecPack 0.3.6
constructor argument, declared as a typed ``Param`` whose default is the value the
worker uses when the key is absent: RecPack's own default, except the deliberate
``OVERRIDES`` below. An integration test checks names and defaults against
``inspect.signature`` inside the env, so a RecPack upgrade that changes one fails loudly.
"""

from __future__ import annotations

from typing import Any

from omnirec_core.plugin.specs import Param

FRAMEWORK_PIN = "recpack==0.3.6"


def _count(name: str, default: int, what: str) -> Param:
    return Param(name, int, default=default, low=1, description=what)


def _rate(name: str, default: float, what: str) -> Param:
    """A step size: any number above 0 (at 0 nothing is learnt)."""
    return Param(name, float, default=default, low=0.0, low_open=True, description=what)


def _nonneg(name: str, default: float, what: str) -> Param:
    return Param(name, float, default=default, low=0.0, description=what)


def _flag(name: str, default: bool, what: str) -> Param:
    return Param(name, bool, default=default, description=what)


def _seed() -> Param:
    return Param(
        "seed", int, default=None, low=0, nullable=True, description="random seed (null: the job's seed)"
    )


def _components() -> Param:
    return _count("num_components", 100, "latent factors")


def _optional_count(name: str, what: str) -> Param:
    return Param(name, int, default=None, low=1, nullable=True, description=what)


def _knn(*extra: Param) -> tuple[Param, ...]:
    return (
        _count("K", 200, "neighbours kept per item"),
        Param(
            "similarity",
            str,
            default="cosine",
            choices=("cosine", "conditional_probability"),
            description="item-item similarity",
        ),
        Param(
            "pop_discount",
            float,
            default=None,
            low=0.0,
            high=1.0,
            nullable=True,
            description="popularity discount exponent, conditional_probability only (null: none)",
        ),
        _flag("normalize_X", False, "L1-normalise each user's row first"),
        _flag("normalize_sim", False, "normalise each item's similarities to sum to 1"),
        *extra,
    )


def _torch(criterion: str, min_improvement: float, epochs: int, what_epochs: str) -> tuple[Param, ...]:
    """The training keys RecPack's torch models share."""
    return (
        _count("max_epochs", epochs, what_epochs),
        _seed(),
        Param(
            "stopping_criterion",
            str,
            default=criterion,
            choices=("bpr", "warp", "recall", "ndcg", "precision"),
            description="validation measure that picks the best epoch",
        ),
        _flag(
            "stop_early", False, "stop when the validation measure stops improving (needs a validation split)"
        ),
        _count("max_iter_no_change", 5, "epochs without improvement before stopping early"),
        _nonneg("min_improvement", min_improvement, "smallest improvement that counts"),
        Param(
            "save_best_to_file",
            bool,
            default=False,
            choices=(False,),
            description="must stay false: it writes into the working directory (omnirec saves the model itself)",
        ),
        _flag("keep_last", False, "keep the last epoch instead of the best one"),
        _optional_count("predict_topK", "items kept per user when predicting (null: all)"),
        _optional_count("validation_sample_size", "users sampled for validation (null: all)"),
    )


def _vae(lr: float) -> tuple[Param, ...]:
    return (
        _count("batch_size", 500, "users per batch"),
        _rate("learning_rate", lr, "Adam learning rate"),
        _count("dim_bottleneck_layer", 200, "latent dimension"),
        _count("dim_hidden_layer", 600, "hidden layer size"),
        Param("dropout", float, default=0.5, low=0.0, high=1.0, description="input dropout probability"),
    )


PARAMS: dict[str, tuple[Param, ...]] = {
    "Popularity": (_optional_count("K", "items scored (null: every item; RecPack's default 200)"),),
    "Random": (
        _optional_count("K", "items drawn per user (null: every item; RecPack's default 200)"),
        _seed(),
        _flag("use_only_interacted_items", True, "draw only items seen in training"),
    ),
    "ItemKNN": _knn(),
    "ItemPNN": _knn(
        Param(
            "pdf",
            str,
            default="softmax_empirical",
            choices=("empirical", "uniform", "softmax_empirical"),
            description="distribution neighbours are sampled from (RecPack's default: empirical)",
        ),
        _seed(),
    ),
    "EASE": (
        _nonneg("l2", 1000.0, "L2 penalty λ on the item-item weights"),
        Param("alpha", float, default=0.0, description="popularity weighting exponent (0: none)"),
        Param(
            "density",
            float,
            default=None,
            low=0.0,
            high=1.0,
            nullable=True,
            description="share of item-item weights kept (null: all)",
        ),
    ),
    "SLIM": (
        _nonneg("l1_reg", 0.0005, "L1 penalty (l1_reg + l2_reg must be > 0)"),
        _nonneg("l2_reg", 0.00005, "L2 penalty (l1_reg + l2_reg must be > 0)"),
        _flag("fit_intercept", True, "fit an intercept per item"),
        _flag("ignore_neg_weights", True, "drop negative weights"),
    ),
    "SVD": (_components(), _seed()),
    "NMF": (
        _components(),
        _seed(),
        _nonneg("alpha", 0.0, "regularisation of both factors"),
        Param(
            "l1_ratio", float, default=0.0, low=0.0, high=1.0, description="share of L1 in the regularisation"
        ),
    ),
    "SVDItemToItem": (_components(), _seed()),
    "NMFItemToItem": (_components(), _seed()),
    "KUNN": (_count("Ku", 100, "user neighbours"), _count("Ki", 100, "item neighbours")),
    "WeightedMatrixFactorization": (
        Param(
            "confidence_scheme",
            str,
            default="minimal",
            choices=("minimal", "log-scaling"),
            description="confidence of an interaction: 1 + alpha·x, or 1 + alpha·log(1 + x/epsilon)",
        ),
        _nonneg("alpha", 40, "confidence scaling"),
        _nonneg("epsilon", 1e-8, "log-scaling's epsilon"),
        _components(),
        _nonneg("regularization", 0.01, "L2 penalty"),
        _count("iterations", 20, "ALS sweeps"),
        _count("batch_size", 100, "users or items solved per batch"),
    ),
    "BPRMF": (
        _components(),
        _nonneg("lambda_h", 0.0, "L2 penalty on user factors"),
        _nonneg("lambda_w", 0.0, "L2 penalty on item factors"),
        _count("batch_size", 1000, "samples per batch"),
        _rate("learning_rate", 0.01, "Adagrad learning rate"),
        _optional_count("sample_size", "training samples per epoch (null: one per interaction)"),
        *_torch("bpr", 0.01, 20, "training epochs"),
    ),
    "MultVAE": (
        *_vae(0.001),
        Param(
            "max_beta", float, default=0.2, low=0.0, description="largest KL weight β, reached by annealing"
        ),
        _count("anneal_steps", 200000, "batches over which β grows to max_beta"),
        *_torch("ndcg", 0.01, 20, "training epochs (RecPack's default: 200)"),
    ),
    "RecVAE": (
        *_vae(0.0005),
        _count("n_enc_epochs", 3, "encoder passes per epoch"),
        _count("n_dec_epochs", 1, "decoder passes per epoch"),
        Param(
            "gamma",
            float,
            default=0.005,
            low=0.0,
            nullable=True,
            description="KL weight per interaction of the user (null: use beta)",
        ),
        Param(
            "beta",
            float,
            default=None,
            low=0.0,
            nullable=True,
            description="constant KL weight, used when gamma is null",
        ),
        *_torch("ndcg", 0.0, 10, "training epochs (RecPack's default: 200)"),
    ),
}

#: Declared defaults that differ from RecPack's own constructor defaults, and why.
OVERRIDES: dict[str, dict[str, Any]] = {
    # None scores every item (RecPack scores only 200), so removing a heavy user's
    # training items never leaves them with fewer than k recommendations.
    "Popularity": {"K": None},
    "Random": {"K": None},
    # RecPack's "empirical" needs every item to co-occur with more than K others and
    # fails on any split where an item has no training interaction (0/0 probabilities).
    "ItemPNN": {"pdf": "softmax_empirical"},
    # Few epochs so a CPU run stays short (RecPack: 200); raise max_epochs (and set
    # stop_early) for real experiments. MultVAE uses the paper's Adam rate 1e-3:
    # RecPack's 1e-4 barely moves in 20 epochs.
    "MultVAE": {"max_epochs": 20, "learning_rate": 0.001},
    "RecVAE": {"max_epochs": 10},
}

#: Recommended search spaces (plan-file tables); sources in docs/runners/recpack.md.
SEARCH_SPACES: dict[str, dict[str, Any]] = {
    "EASE": {"l2": {"loguniform": [1.0, 1e7]}},
    "ItemKNN": {
        "K": {"int": [5, 1000]},
        "similarity": {"categorical": ["cosine", "conditional_probability"]},
    },
    "SLIM": {"l1_reg": {"loguniform": [1e-8, 1.0]}, "l2_reg": {"uniform": [0.0, 1.0]}},
    # max_epochs fixed (not searched) so a tuned run on ML-100K stays minutes.
    "MultVAE": {"learning_rate": {"loguniform": [1e-4, 1e-2]}, "max_epochs": [20]},
}

#: Trained with torch by gradient descent: fit needs validation data, epochs matter.
TORCH_ALGORITHMS = frozenset({"BPRMF", "MultVAE", "RecVAE"})

#: Algorithms that can run their torch parts on a CUDA device when one is given.
GPU_CAPABLE = frozenset({"BPRMF", "MultVAE", "RecVAE", "WeightedMatrixFactorization"})

#: Algorithms that cannot run here, with the reason (shown at plan validation).
UNAVAILABLE: dict[str, str] = {}

DESCRIPTIONS: dict[str, str] = {
    "Popularity": "most interacted items in training",
    "Random": "uniformly random items (seeded)",
    "ItemKNN": "item-item neighbourhood (cosine or conditional probability)",
    "ItemPNN": "item neighbourhood with neighbours sampled from a probability distribution",
    "EASE": "closed-form linear item-item autoencoder (Steck 2019)",
    "SLIM": "sparse linear item-item model, elastic-net regression per item",
    "SVD": "truncated SVD of the interaction matrix",
    "NMF": "non-negative matrix factorisation",
    "SVDItemToItem": "item-item similarity from SVD item factors",
    "NMFItemToItem": "item-item similarity from NMF item factors",
    "KUNN": "unified user and item nearest neighbours (Verstrepen 2014)",
    "WeightedMatrixFactorization": "implicit ALS with confidence weights (Hu et al. 2008)",
    "BPRMF": "matrix factorisation trained with the BPR pairwise loss (torch)",
    "MultVAE": "variational autoencoder with multinomial likelihood (torch)",
    "RecVAE": "RecVAE, composite-prior variational autoencoder (torch)",
}

ALGORITHMS: tuple[str, ...] = tuple(PARAMS)


def defaults(algorithm: str) -> dict[str, Any]:
    """The config a job of ``algorithm`` gets for keys the plan leaves out."""
    return {p.name: p.default for p in PARAMS[algorithm]}
