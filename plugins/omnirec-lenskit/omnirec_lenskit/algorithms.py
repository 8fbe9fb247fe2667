"""The LensKit algorithms this runner offers (stdlib only: both sides import it).

Each scorer's config keys are the fields of its LensKit 2025.8.1 config class, declared
as typed ``Param``s with LensKit's own defaults (this runner overrides none), so a wrong
key, type or value is refused before any work. The worker checks the same declarations
and then LensKit's own pydantic validation. An integration test compares names,
defaults and "default written out == key left out" with LensKit's config classes inside
the env, so an upgrade that changes one fails loudly.

Not config keys: LensKit's validation aliases (``nnbrs`` and ``k`` for ``max_nbrs``,
``features`` for ``embedding_size``). The coordinator merges every declared default into
each config, and pydantic prefers the field name over an alias, so an alias next to the
merged default would be silently ignored (see ``ALIASES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnirec_core.plugin.specs import NO_DEFAULT, Param

LENSKIT_PIN = "lenskit==2025.8.1"

BOTH = ("implicit", "explicit")
EXPLICIT = ("explicit",)
TOPK = ("topk",)
TOPK_RATING = ("topk", "rating")

#: LensKit's aliases of config fields, refused as config keys (see the module docstring).
ALIASES = {"nnbrs": "max_nbrs", "k": "max_nbrs", "features": "embedding_size"}

#: Declared defaults that differ from LensKit's own (none: every default is LensKit's).
OVERRIDES: dict[str, dict[str, Any]] = {}

# Strict bounds (LensKit's ``Gt(0)``) cannot be written as a Param's inclusive ``low``;
# those keys are declared ``low=0`` and LensKit's own validation in the worker refuses 0.
_GT0 = " (LensKit's own validation refuses 0)"


def _count(name: str, default: int, what: str, low: int = 1) -> Param:
    return Param(name, int, default=default, low=low, description=what)


def _positive(name: str, default: float, what: str) -> Param:
    return Param(name, float, default=default, low=0.0, low_open=True, description=what + _GT0)


def _rate(name: str, default: float, what: str) -> Param:
    """A step size: any number above 0 (at 0 nothing is learnt)."""
    return Param(name, float, default=default, low=0.0, low_open=True, description=what)


def _nonneg(name: str, default: float, what: str) -> Param:
    return Param(name, float, default=default, low=0.0, description=what)


def _embedding(default: int) -> tuple[Param, ...]:
    return (
        _count("embedding_size", default, "latent factors"),
        Param(
            "embedding_size_exp",
            int,
            low=0,
            description="latent factors as a power of 2 (embedding_size = 2**e); when given it "
            "replaces embedding_size, so it has no default of its own",
        ),
    )


def _damping(default: float, what: str) -> Param:
    return Param(
        "damping",
        (float, dict),
        default=default,
        low=0.0,
        description=what + " (a number, or a table {user = .., item = ..})",
    )


def _knn(*extra: Param) -> tuple[Param, ...]:
    return (
        _count("max_nbrs", 20, "neighbours used to score an item"),
        _count("min_nbrs", 1, "fewest neighbours needed to score an item"),
        _positive("min_sim", 1e-6, "smallest similarity kept"),
        *extra,
        Param(
            "feedback",
            str,
            choices=("explicit", "implicit"),
            description="how to read the data; set from the job's feedback type when left "
            "out (LensKit's own default, explicit, fails on data without ratings)",
        ),
    )


def _als(default_reg: float) -> tuple[Param, ...]:
    return (
        *_embedding(50),
        _count("epochs", 10, "ALS sweeps"),
        Param(
            "regularization",
            (float, dict),
            default=default_reg,
            low=0.0,
            low_open=True,
            description="L2 penalty, or a table {user = .., item = ..}" + _GT0,
        ),
        Param(
            "user_embeddings",
            (bool, str),
            default=True,
            choices=(True, False, "prefer"),
            description='keep user embeddings ("prefer": use them, re-solve unknown users)',
        ),
    )


def _flexmf(reg: float, reg_method: str) -> tuple[Param, ...]:
    return (
        *_embedding(64),
        _count("batch_size", 8192, "training batch size"),
        _rate("learning_rate", 0.01, "Adam learning rate"),
        _count("epochs", 10, "training epochs"),
        _nonneg("regularization", reg, "regularisation strength"),
        Param(
            "reg_method",
            str,
            default=reg_method,
            choices=("AdamW", "L2"),
            nullable=True,
            description="AdamW weight decay or L2 penalty on the batch (null: none)",
        ),
    )


# FlexMF implicit: a preset ("bpr", "warp", "lightgcn") fills these keys only where the
# config does not give them, so they have no default that could be written out.
_PRESET = " LensKit's default {} applies unless a preset sets it; no default is declared so that a preset can"


def _preset_key(name: str, t: Any, default: Any, what: str, **kw: Any) -> Param:
    return Param(name, t, description=what + "." + _PRESET.format(default), **kw)


@dataclass(frozen=True)
class Algorithm:
    """One LensKit scorer: where it lives, what it accepts and what it predicts."""

    module: str
    cls: str
    feedback: tuple[str, ...]
    predictions: tuple[str, ...]
    params: tuple[Param, ...]
    description: str = ""
    #: Scorers whose ``feedback`` config key the worker sets from the job's feedback type.
    auto_feedback: bool = False
    #: The recommended search space (plan-file tables); sources in docs/runners/lenskit.md.
    search_space: dict[str, Any] = field(default_factory=dict)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if p.default is not NO_DEFAULT}


ALGORITHMS: dict[str, Algorithm] = {
    "PopScorer": Algorithm(
        "lenskit.basic",
        "PopScorer",
        BOTH,
        TOPK,
        (
            Param(
                "score",
                str,
                default="quantile",
                choices=("quantile", "rank", "count"),
                description="what the score is: popularity quantile, rank or count",
            ),
        ),
        "Most popular items (interaction counts).",
    ),
    "BiasScorer": Algorithm(
        "lenskit.basic",
        "BiasScorer",
        EXPLICIT,
        TOPK_RATING,
        (
            Param(
                "entities",
                (list, tuple),
                default=["item", "user"],
                description='which biases to learn: a subset of ["item", "user"]',
            ),
            _damping(0.0, "damping of the user and item biases"),
        ),
        "Global mean plus damped user and item biases (needs ratings).",
    ),
    "ItemKNNScorer": Algorithm(
        "lenskit.knn",
        "ItemKNNScorer",
        BOTH,
        TOPK_RATING,
        _knn(
            Param(
                "save_nbrs",
                int,
                default=None,
                low=1,
                nullable=True,
                description="neighbours saved per item (null: every neighbour above min_sim)",
            ),
            _count("block_size", 250, "items per block when computing similarities (speed only)"),
        ),
        "Item-based k-nearest neighbours (cosine).",
        auto_feedback=True,
        search_space={"max_nbrs": {"int": [5, 1000]}},
    ),
    "UserKNNScorer": Algorithm(
        "lenskit.knn",
        "UserKNNScorer",
        BOTH,
        TOPK_RATING,
        _knn(),
        "User-based k-nearest neighbours (cosine).",
        auto_feedback=True,
        search_space={"max_nbrs": {"int": [5, 1000]}},
    ),
    "EASEScorer": Algorithm(
        "lenskit.knn",
        "EASEScorer",
        BOTH,
        TOPK,
        (_positive("regularization", 1.0, "L2 penalty λ on the item-item weights"),),
        "EASE: closed-form item-item linear autoencoder.",
        search_space={"regularization": {"loguniform": [1.0, 1e7]}},
    ),
    "SLIMScorer": Algorithm(
        "lenskit.knn",
        "SLIMScorer",
        BOTH,
        TOPK,
        (
            _positive("l1_reg", 1.0, "L1 penalty"),
            _positive("l2_reg", 1.0, "L2 penalty"),
            _count("max_iters", 100, "coordinate-descent sweeps per item"),
            Param(
                "max_nbrs",
                int,
                default=None,
                low=1,
                nullable=True,
                description="items considered per regression (null: all)",
            ),
        ),
        "SLIM: sparse item-item linear model (coordinate descent).",
    ),
    "ImplicitMFScorer": Algorithm(
        "lenskit.als",
        "ImplicitMFScorer",
        BOTH,
        TOPK,
        (
            *_als(0.1),
            _nonneg("weight", 40.0, "confidence weight of observed interactions"),
            Param("use_ratings", bool, default=False, description="scale the confidence by the rating"),
        ),
        "Implicit-feedback matrix factorisation by alternating least squares (Hu et al.).",
        search_space={
            "embedding_size": {"int": [1, 200]},
            "regularization": {"loguniform": [1e-5, 1e-2]},
            "weight": {"loguniform": [1e-3, 50.0]},
        },
    ),
    "BiasedMFScorer": Algorithm(
        "lenskit.als",
        "BiasedMFScorer",
        EXPLICIT,
        TOPK_RATING,
        (*_als(0.1), _damping(5.0, "damping of the user and item biases")),
        "Biased matrix factorisation of ratings by alternating least squares.",
    ),
    "FunkSVDScorer": Algorithm(
        "lenskit.funksvd",
        "FunkSVDScorer",
        EXPLICIT,
        TOPK_RATING,
        (
            *_embedding(50),
            _count("epochs", 100, "training epochs per feature"),
            _positive("learning_rate", 0.001, "gradient-descent step size"),
            _nonneg("regularization", 0.015, "L2 penalty"),
            _damping(5.0, "damping of the user and item biases"),
            Param(
                "range",
                (list, tuple),
                default=None,
                nullable=True,
                description="[min, max] to clamp predicted ratings to (null: no clamping)",
            ),
        ),
        "FunkSVD: gradient-descent matrix factorisation of ratings.",
    ),
    "FlexMFImplicitScorer": Algorithm(
        "lenskit.flexmf",
        "FlexMFImplicitScorer",
        BOTH,
        TOPK,
        (
            *_flexmf(0.01, "AdamW"),
            Param(
                "preset",
                str,
                default=None,
                choices=("bpr", "warp", "lightgcn"),
                nullable=True,
                description="defaults of a published model for the keys below left out (null: none)",
            ),
            _preset_key("loss", str, '"logistic"', "training loss", choices=("logistic", "pairwise", "warp")),
            _preset_key(
                "negative_strategy",
                str,
                "null (misranked for WARP, else uniform)",
                "negative sampling",
                choices=("uniform", "popular", "misranked"),
                nullable=True,
            ),
            _count("negative_count", 1, "negatives sampled per positive"),
            _positive("positive_weight", 1.0, "weight of the positive item's loss (logistic loss)"),
            _preset_key(
                "user_bias",
                bool,
                "null (false for pairwise loss, else true)",
                "learn user biases",
                nullable=True,
            ),
            _preset_key("item_bias", bool, "true", "learn item biases"),
            _preset_key("convolution_layers", int, "0", "LightGCN convolution layers", low=0),
        ),
        "PyTorch matrix factorisation for implicit feedback (logistic, BPR or WARP loss).",
    ),
    "FlexMFExplicitScorer": Algorithm(
        "lenskit.flexmf",
        "FlexMFExplicitScorer",
        EXPLICIT,
        TOPK_RATING,
        _flexmf(0.1, "L2"),
        "PyTorch biased matrix factorisation of ratings.",
    ),
}

#: Why each key without a declared default has none (checked by the tests).
NO_DEFAULT_REASONS = {
    "feedback": "set from the job's feedback type",
    "embedding_size_exp": "an alternative spelling of embedding_size",
    "loss": "a preset may set it",
    "negative_strategy": "a preset may set it",
    "user_bias": "a preset may set it",
    "item_bias": "a preset may set it",
    "convolution_layers": "a preset may set it",
}

# Algorithms that cannot run in this runner, with the reason (none so far on
# Python 3.11 + CPU torch; see docs/runners/lenskit.md).
UNAVAILABLE: dict[str, str] = {}
