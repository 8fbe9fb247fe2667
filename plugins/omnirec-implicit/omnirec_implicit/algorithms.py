"""The implicit algorithms this runner offers, as plain data.

Imported by both sides: ``plugin.py`` (user environment, no implicit) builds the
``AlgorithmSpec`` records from it, and ``worker.py`` (runner env) validates configs and
builds models from the same declarations. Every ``Param`` default is implicit 0.7.3's own
constructor default; an integration test checks names and defaults against
``inspect.signature`` inside the env, so an upgrade that changes one fails loudly.

Not config keys (omnirec sets them): ``random_state`` (the job seed), ``num_threads``
(the job's threads) and ``use_gpu`` (always False: this runner is CPU-only).
"""

from __future__ import annotations

from dataclasses import dataclass

from omnirec_core.plugin.specs import Param

FRAMEWORK_PIN = "implicit==0.7.3"


def _factors(default: int) -> Param:
    return Param("factors", int, default=default, low=1, description="latent factors")


def _iterations(default: int, what: str) -> Param:
    return Param("iterations", int, default=default, low=1, description=what)


def _learning_rate(default: float) -> Param:
    return Param("learning_rate", float, default=default, low=0.0, low_open=True, description="SGD step size")


def _regularization(default: float) -> Param:
    return Param("regularization", float, default=default, low=0.0, description="L2 penalty")


_DTYPE = Param(
    "dtype", str, default="float32", choices=("float32", "float64"), description="factor precision"
)
_K = Param("K", int, default=20, low=1, description="neighbours kept per item")


@dataclass(frozen=True)
class Algorithm:
    """One algorithm: the implicit class (``None``: omnirec's own), its keys and notes."""

    cls: str | None
    params: tuple[Param, ...]
    description: str
    #: Takes ``random_state`` (the factorisation models; the neighbour models are exact).
    seeded: bool = False
    #: Bit-identical models for a given seed whatever the number of threads.
    thread_reproducible: bool = True


ALGORITHMS: dict[str, Algorithm] = {
    "AlternatingLeastSquares": Algorithm(
        "implicit.cpu.als.AlternatingLeastSquares",
        (
            _factors(100),
            _regularization(0.01),
            Param("alpha", float, default=1.0, low=0.0, description="weight of observed interactions"),
            _DTYPE,
            Param("use_native", bool, default=True, description="native (C++) solver"),
            Param("use_cg", bool, default=True, description="conjugate-gradient solver"),
            _iterations(15, "ALS sweeps"),
            Param("calculate_training_loss", bool, default=False, description="log the loss per sweep"),
        ),
        "implicit ALS with confidence weights (Hu, Koren and Volinsky 2008), CG solver",
        seeded=True,
    ),
    "BayesianPersonalizedRanking": Algorithm(
        "implicit.cpu.bpr.BayesianPersonalizedRanking",
        (
            _factors(100),
            _learning_rate(0.01),
            _regularization(0.01),
            _DTYPE,
            _iterations(100, "epochs"),
            Param(
                "verify_negative_samples",
                bool,
                default=True,
                description="resample negatives the user has interacted with",
            ),
        ),
        "matrix factorisation trained with the BPR pairwise loss (lock-free parallel SGD)",
        seeded=True,
        thread_reproducible=False,
    ),
    "LogisticMatrixFactorization": Algorithm(
        "implicit.cpu.lmf.LogisticMatrixFactorization",
        (
            _factors(30),
            _learning_rate(1.0),
            _regularization(0.6),
            _DTYPE,
            _iterations(30, "epochs"),
            Param("neg_prop", int, default=30, low=0, description="negative samples per positive"),
        ),
        "logistic matrix factorisation (Johnson 2014), parallel SGD with negative sampling",
        seeded=True,
        thread_reproducible=False,
    ),
    "ItemItemRecommender": Algorithm(
        "implicit.nearest_neighbours.ItemItemRecommender",
        (_K,),
        "item-item neighbours on raw co-occurrence counts",
    ),
    "CosineRecommender": Algorithm(
        "implicit.nearest_neighbours.CosineRecommender", (_K,), "item-item neighbours, cosine similarity"
    ),
    "TFIDFRecommender": Algorithm(
        "implicit.nearest_neighbours.TFIDFRecommender",
        (_K,),
        "item-item neighbours, cosine on TF-IDF weighted interactions",
    ),
    "BM25Recommender": Algorithm(
        "implicit.nearest_neighbours.BM25Recommender",
        (
            _K,
            Param("K1", float, default=1.2, low=0.0, description="BM25 saturation"),
            Param("B", float, default=0.75, low=0.0, high=1.0, description="BM25 length normalisation"),
        ),
        "item-item neighbours on BM25 weighted interactions",
    ),
    "Popularity": Algorithm(
        None,
        (),
        "most interacted items in training (omnirec's baseline; implicit has none)",
    ),
}
