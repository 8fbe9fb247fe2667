"""The LensKit algorithms this runner offers (stdlib only: both sides import it).

``PARAMS`` are the keys each scorer's config class accepts in LensKit 2025.8.1 (field
names plus the validation aliases LensKit declares, e.g. ``features`` for
``embedding_size``); an integration test checks them against LensKit's own config
classes, so a LensKit upgrade that changes them fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LENSKIT_PIN = "lenskit==2025.8.1"

BOTH = ("implicit", "explicit")
EXPLICIT = ("explicit",)
TOPK = ("topk",)
TOPK_RATING = ("topk", "rating")

_EMBED = ("embedding_size", "embedding_size_exp")
_NBRS_ALIASES = ("nnbrs", "k")  # LensKit's aliases of max_nbrs
_FLEXMF = (*_EMBED, "batch_size", "learning_rate", "epochs", "regularization", "reg_method")


@dataclass(frozen=True)
class Algorithm:
    """One LensKit scorer: where it lives, what it accepts and what it predicts."""

    module: str
    cls: str
    feedback: tuple[str, ...]
    predictions: tuple[str, ...]
    params: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    # Scorers whose ``feedback`` config key we set from the job's feedback type.
    auto_feedback: bool = False


ALGORITHMS: dict[str, Algorithm] = {
    "PopScorer": Algorithm(
        "lenskit.basic",
        "PopScorer",
        BOTH,
        TOPK,
        ("score",),
        {"score": "quantile"},
        "Most popular items (interaction counts).",
    ),
    "BiasScorer": Algorithm(
        "lenskit.basic",
        "BiasScorer",
        EXPLICIT,
        TOPK_RATING,
        ("entities", "damping"),
        {"damping": 0.0},
        "Global mean plus damped user and item biases (needs ratings).",
    ),
    "ItemKNNScorer": Algorithm(
        "lenskit.knn",
        "ItemKNNScorer",
        BOTH,
        TOPK_RATING,
        ("max_nbrs", "min_nbrs", "min_sim", "save_nbrs", "feedback", "block_size", *_NBRS_ALIASES),
        {"max_nbrs": 20, "min_nbrs": 1, "min_sim": 1e-6},
        "Item-based k-nearest neighbours (cosine).",
        auto_feedback=True,
    ),
    "UserKNNScorer": Algorithm(
        "lenskit.knn",
        "UserKNNScorer",
        BOTH,
        TOPK_RATING,
        ("max_nbrs", "min_nbrs", "min_sim", "feedback", *_NBRS_ALIASES),
        {"max_nbrs": 20, "min_nbrs": 1, "min_sim": 1e-6},
        "User-based k-nearest neighbours (cosine).",
        auto_feedback=True,
    ),
    "EASEScorer": Algorithm(
        "lenskit.knn",
        "EASEScorer",
        BOTH,
        TOPK,
        ("regularization",),
        {"regularization": 1.0},
        "EASE: closed-form item-item linear autoencoder.",
    ),
    "SLIMScorer": Algorithm(
        "lenskit.knn",
        "SLIMScorer",
        BOTH,
        TOPK,
        ("l1_reg", "l2_reg", "max_iters", "max_nbrs"),
        {"l1_reg": 1.0, "l2_reg": 1.0, "max_iters": 100},
        "SLIM: sparse item-item linear model (coordinate descent).",
    ),
    "ImplicitMFScorer": Algorithm(
        "lenskit.als",
        "ImplicitMFScorer",
        BOTH,
        TOPK,
        ("features", *_EMBED, "epochs", "regularization", "user_embeddings", "weight", "use_ratings"),
        {"embedding_size": 50, "epochs": 10, "regularization": 0.1, "weight": 40.0},
        "Implicit-feedback matrix factorisation by alternating least squares (Hu et al.).",
    ),
    "BiasedMFScorer": Algorithm(
        "lenskit.als",
        "BiasedMFScorer",
        EXPLICIT,
        TOPK_RATING,
        ("features", *_EMBED, "epochs", "regularization", "user_embeddings", "damping"),
        {"embedding_size": 50, "epochs": 10, "regularization": 0.1, "damping": 5.0},
        "Biased matrix factorisation of ratings by alternating least squares.",
    ),
    "FunkSVDScorer": Algorithm(
        "lenskit.funksvd",
        "FunkSVDScorer",
        EXPLICIT,
        TOPK_RATING,
        ("features", *_EMBED, "epochs", "learning_rate", "regularization", "damping", "range"),
        {"embedding_size": 50, "epochs": 100, "learning_rate": 0.001, "regularization": 0.015},
        "FunkSVD: gradient-descent matrix factorisation of ratings.",
    ),
    "FlexMFImplicitScorer": Algorithm(
        "lenskit.flexmf",
        "FlexMFImplicitScorer",
        BOTH,
        TOPK,
        (
            *_FLEXMF,
            "preset",
            "loss",
            "negative_strategy",
            "negative_count",
            "positive_weight",
            "user_bias",
            "item_bias",
            "convolution_layers",
        ),
        {"embedding_size": 64, "epochs": 10, "learning_rate": 0.01, "loss": "logistic"},
        "PyTorch matrix factorisation for implicit feedback (logistic, BPR or WARP loss).",
    ),
    "FlexMFExplicitScorer": Algorithm(
        "lenskit.flexmf",
        "FlexMFExplicitScorer",
        EXPLICIT,
        TOPK_RATING,
        _FLEXMF,
        {"embedding_size": 64, "epochs": 10, "learning_rate": 0.01, "regularization": 0.1},
        "PyTorch biased matrix factorisation of ratings.",
    ),
}

# Algorithms that cannot run in this runner, with the reason (none so far on
# Python 3.11 + CPU torch; see docs/runners/lenskit.md).
UNAVAILABLE: dict[str, str] = {}
