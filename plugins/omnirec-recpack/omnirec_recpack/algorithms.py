"""The RecPack algorithms this runner offers, as plain data.

Imported by both sides: ``plugin.py`` (user environment, no RecPack) builds the
``AlgorithmSpec`` records from it, and ``worker.py`` (runner env) uses the same defaults.
``PARAMS`` are RecPack 0.3.6's constructor argument names; an integration test checks
them against ``inspect.signature`` inside the env, so a RecPack upgrade that renames one
fails loudly instead of drifting.
"""

from __future__ import annotations

from typing import Any

FRAMEWORK_PIN = "recpack==0.3.6"

_KNN = ("K", "similarity", "pop_discount", "normalize_X", "normalize_sim")
_TORCH = (
    "stopping_criterion",
    "stop_early",
    "max_iter_no_change",
    "min_improvement",
    "seed",
    "save_best_to_file",
    "keep_last",
    "predict_topK",
    "validation_sample_size",
)

PARAMS: dict[str, tuple[str, ...]] = {
    "Popularity": ("K",),
    "Random": ("K", "seed", "use_only_interacted_items"),
    "ItemKNN": _KNN,
    "ItemPNN": (*_KNN, "pdf", "seed"),
    "EASE": ("l2", "alpha", "density"),
    "SLIM": ("l1_reg", "l2_reg", "fit_intercept", "ignore_neg_weights"),
    "SVD": ("num_components", "seed"),
    "NMF": ("num_components", "seed", "alpha", "l1_ratio"),
    "SVDItemToItem": ("num_components", "seed"),
    "NMFItemToItem": ("num_components", "seed"),
    "KUNN": ("Ku", "Ki"),
    "WeightedMatrixFactorization": (
        "confidence_scheme",
        "alpha",
        "epsilon",
        "num_components",
        "regularization",
        "iterations",
        "batch_size",
    ),
    "BPRMF": (
        "num_components",
        "lambda_h",
        "lambda_w",
        "batch_size",
        "max_epochs",
        "learning_rate",
        "sample_size",
        *_TORCH,
    ),
    "MultVAE": (
        "batch_size",
        "max_epochs",
        "learning_rate",
        "dim_bottleneck_layer",
        "dim_hidden_layer",
        "max_beta",
        "anneal_steps",
        "dropout",
        *_TORCH,
    ),
    "RecVAE": (
        "batch_size",
        "max_epochs",
        "learning_rate",
        "n_enc_epochs",
        "n_dec_epochs",
        "dim_bottleneck_layer",
        "dim_hidden_layer",
        "gamma",
        "beta",
        "dropout",
        *_TORCH,
    ),
}

# What omnirec passes when the plan gives nothing. Mostly RecPack's own defaults, written
# out so they are visible; the differences are deliberate:
# - Popularity/Random ``K=None`` scores every item (RecPack scores only 200), so removing
#   a heavy user's training items never leaves them with fewer than k recommendations;
# - the torch models train for few epochs (RecPack: 20/200/200) so a CPU run stays short;
#   MultVAE uses lr 1e-3 (the paper's Adam rate) because RecPack's 1e-4 barely moves in
#   20 epochs. Raise ``max_epochs`` (and set ``stop_early``) for real experiments;
# - ItemPNN samples neighbours with ``pdf="softmax_empirical"``: RecPack's default
#   "empirical" needs every item to co-occur with more than K others, and fails on any
#   split where an item has no training interaction (0/0 probabilities).
DEFAULTS: dict[str, dict[str, Any]] = {
    "Popularity": {"K": None},
    "Random": {"K": None, "use_only_interacted_items": True},
    "ItemKNN": {"K": 200, "similarity": "cosine"},
    "ItemPNN": {"K": 200, "similarity": "cosine", "pdf": "softmax_empirical"},
    "EASE": {"l2": 1000.0},
    "SLIM": {"l1_reg": 0.0005, "l2_reg": 0.00005},
    "SVD": {"num_components": 100},
    "NMF": {"num_components": 100},
    "SVDItemToItem": {"num_components": 100},
    "NMFItemToItem": {"num_components": 100},
    "KUNN": {"Ku": 100, "Ki": 100},
    "WeightedMatrixFactorization": {"num_components": 100, "iterations": 20, "alpha": 40},
    "BPRMF": {"num_components": 100, "max_epochs": 20, "learning_rate": 0.01, "batch_size": 1000},
    "MultVAE": {"max_epochs": 20, "learning_rate": 0.001, "batch_size": 500},
    "RecVAE": {"max_epochs": 10, "learning_rate": 0.0005, "batch_size": 500},
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
