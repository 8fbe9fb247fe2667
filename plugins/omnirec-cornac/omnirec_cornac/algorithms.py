"""The Cornac models this runner offers, and the ones left out, as plain data.

Imported by both sides: ``plugin.py`` (user environment, no Cornac) builds the
``AlgorithmSpec`` records from it, and ``worker.py`` (runner env) validates configs and
builds models from the same declarations. Every ``Param`` default is Cornac 3.0.1's own
constructor default; an integration test checks names and defaults against
``inspect.signature`` inside the env, so an upgrade that changes one fails loudly.

Constructor arguments that are not config keys: ``seed``, ``num_threads``, ``verbose``
and ``use_gpu`` are set by omnirec (job seed, job threads, quiet, CPU); ``name``,
``trainable`` and the warm-start ``init_params`` (``init_par``, EASE's ``B``/``U``) make
no sense in a plan; BiVAECF's ``cap_priors`` needs user/item features (side information).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnirec_core.plugin.specs import Param

FRAMEWORK_PIN = "cornac==3.0.1"

IMPLICIT = ("implicit",)
EXPLICIT = ("explicit",)
BOTH = ("implicit", "explicit")
TOPK = ("topk",)
RATING = ("rating",)
TOPK_RATING = ("topk", "rating")

#: Constructor arguments omnirec sets itself whenever a model has them (``worker.build_model``).
MANAGED = ("seed", "num_threads", "verbose", "use_gpu")
#: Constructor arguments that are never config keys (see the module docstring).
NOT_EXPOSED = ("name", "trainable", "init_params", "init_par", "B", "U", "cap_priors")


def _int(name: str, default: int, low: int = 1, what: str = "") -> Param:
    return Param(name, int, default=default, low=low, description=what)


def _num(
    name: str, default: float, low: float | None = 0.0, high: float | None = None, what: str = ""
) -> Param:
    return Param(name, float, default=default, low=low, high=high, description=what)


def _rate(name: str, default: float, what: str = "") -> Param:
    """A step size: any number above 0 (at 0 nothing is learnt)."""
    return Param(name, float, default=default, low=0.0, low_open=True, description=what)


def _flag(name: str, default: bool, what: str = "") -> Param:
    return Param(name, bool, default=default, description=what)


def _choice(name: str, default: Any, choices: tuple[Any, ...], what: str = "") -> Param:
    return Param(name, type(default), default=default, choices=choices, description=what)


def _layers(name: str, default: list[int], what: str) -> Param:
    return Param(name, list, default=default, description=what + " (list of positive integers)")


def _sgd(k: int, max_iter: int, lr: float, reg: float) -> tuple[Param, ...]:
    return (
        _int("k", k, what="latent factors"),
        _int("max_iter", max_iter, what="epochs"),
        _rate("learning_rate", lr, what="SGD step size"),
        _num("lambda_reg", reg, what="L2 penalty"),
    )


def _knn() -> tuple[Param, ...]:
    return (
        _int("k", 20, what="neighbours"),
        _choice("similarity", "cosine", ("cosine", "pearson"), "similarity measure"),
        _flag("mean_centered", False, "centre ratings before computing similarities"),
        Param("weighting", str, default=None, choices=("idf", "bm25"), nullable=True,
              description="re-weighting of the rating matrix"),
        _num("amplify", 1.0, low=None, what="exponent applied to similarities"),
    )  # fmt: skip


_ACT = ("sigmoid", "tanh", "elu", "relu", "relu6")
_NCF_ACT = ("sigmoid", "tanh", "elu", "selu", "relu", "relu6", "leaky_relu")


def _ncf(*extra: Param) -> tuple[Param, ...]:
    return (
        *extra,
        _num("reg", 0.0, what="L2 penalty (weight decay)"),
        _int("num_epochs", 20, what="epochs"),
        _int("batch_size", 256),
        _int("num_neg", 4, low=0, what="negative samples per positive"),
        _rate("lr", 0.001, what="learning rate"),
        _choice("learner", "adam", ("adam", "rmsprop", "adagrad", "sgd"), "optimiser"),
        Param("early_stopping", dict, default=None, nullable=True,
              description="{min_delta, patience} on the validation part (needs one)"),
    )  # fmt: skip


def _ibpr() -> tuple[Param, ...]:
    return (
        _int("k", 20, what="latent factors"),
        _int("max_iter", 100, what="epochs"),
        _rate("learning_rate", 0.05),
        _num("lamda", 0.001, what="L2 penalty (Cornac's spelling)"),
        _int("batch_size", 100),
    )


@dataclass(frozen=True)
class Model:
    """One Cornac model: what it learns from, what it predicts, its config keys."""

    params: tuple[Param, ...]
    feedback: tuple[str, ...]
    predictions: tuple[str, ...]
    description: str
    #: Constructor arguments omnirec fixes for this model (not config keys).
    fixed: dict[str, Any] = field(default_factory=dict)
    #: Trains with PyTorch (seeded and threaded through torch).
    torch: bool = False
    #: Fewest items the model can train on (RecVAE's per-epoch NDCG@100 on training data).
    min_items: int = 1


MODELS: dict[str, Model] = {
    "MostPop": Model((), BOTH, TOPK, "most interacted items in training"),
    "GlobalAvg": Model((), EXPLICIT, RATING, "global mean rating (rating baseline only)"),
    "BaselineOnly": Model(
        (
            _int("max_iter", 20, what="epochs"),
            _rate("learning_rate", 0.01),
            _num("lambda_reg", 0.02),
            _flag("early_stop", False, "stop when the training loss stops improving"),
        ),
        EXPLICIT,
        TOPK_RATING,
        "global mean plus user and item biases, SGD",
    ),
    # Explicit only: a KNN score is a similarity-weighted average of ratings, which is 1 for
    # every reachable item when all ratings are 1, so implicit data would rank ties only.
    "ItemKNN": Model(_knn(), EXPLICIT, TOPK_RATING, "item-based k nearest neighbours (rating average)"),
    "UserKNN": Model(_knn(), EXPLICIT, TOPK_RATING, "user-based k nearest neighbours (rating average)"),
    "MF": Model(
        (
            _int("k", 10, what="latent factors"),
            _choice("backend", "cpu", ("cpu", "pytorch"), "Cython SGD or PyTorch"),
            _choice("optimizer", "sgd", ("sgd", "adam", "rmsprop", "adagrad"), "PyTorch backend only"),
            _int("max_iter", 20, what="epochs"),
            _rate("learning_rate", 0.01),
            _int("batch_size", 256, what="PyTorch backend only"),
            _num("lambda_reg", 0.02),
            _num("dropout", 0.0, high=1.0, what="embedding dropout, PyTorch backend only"),
            _flag("use_bias", True),
            _flag("early_stop", False, "stop when the training loss stops improving (Cython backend)"),
        ),
        EXPLICIT,
        TOPK_RATING,
        "biased matrix factorisation of ratings (Koren et al.)",
    ),
    "PMF": Model(
        (
            _int("k", 5, what="latent factors"),
            _int("max_iter", 100, what="epochs"),
            _rate("learning_rate", 0.001),
            _num("gamma", 0.9, high=1.0, what="momentum"),
            _num("lambda_reg", 0.001),
            _choice("variant", "non_linear", ("linear", "non_linear"), "sigmoid link or not"),
        ),
        EXPLICIT,
        TOPK_RATING,
        "probabilistic matrix factorisation (Salakhutdinov and Mnih)",
    ),
    "SVD": Model(
        (
            *_sgd(10, 20, 0.01, 0.02),
            _flag("early_stop", False, "stop when the training loss stops improving"),
        ),
        EXPLICIT,
        TOPK_RATING,
        "SVD-style biased matrix factorisation of ratings",
    ),
    "NMF": Model(
        (
            _int("k", 15, what="latent factors"),
            _int("max_iter", 50, what="epochs"),
            _rate("learning_rate", 0.005),
            _num("lambda_reg", 0.0),
            _num("lambda_u", 0.06),
            _num("lambda_v", 0.06),
            _num("lambda_bu", 0.02),
            _num("lambda_bi", 0.02),
            _flag("use_bias", False),
        ),
        EXPLICIT,
        TOPK_RATING,
        "non-negative matrix factorisation of ratings",
    ),
    "MMMF": Model(_sgd(10, 100, 0.001, 0.01), IMPLICIT, TOPK, "maximum-margin matrix factorisation"),
    "BPR": Model(
        (*_sgd(10, 100, 0.001, 0.01), _flag("use_bias", True, "item bias")),
        IMPLICIT,
        TOPK,
        "Bayesian personalised ranking matrix factorisation",
    ),
    "WBPR": Model(
        (*_sgd(10, 100, 0.001, 0.01), _flag("use_bias", True, "item bias")),
        IMPLICIT,
        TOPK,
        "BPR with popularity-weighted negative sampling (Gantner et al.)",
    ),
    "WMF": Model(
        (
            _int("k", 200, what="latent factors"),
            _num("lambda_u", 0.01),
            _num("lambda_v", 0.01),
            _num("a", 1.0, what="confidence of observed interactions"),
            _num("b", 0.01, what="confidence of unobserved ones"),
            _rate("learning_rate", 0.001),
            _int("batch_size", 128, what="items per batch"),
            _int("max_iter", 100, what="epochs"),
        ),
        IMPLICIT,
        TOPK,
        "weighted matrix factorisation (Hu et al.), trained with TensorFlow",
    ),
    "IBPR": Model(_ibpr(), IMPLICIT, TOPK, "indexable BPR (angular, PyTorch)", torch=True),
    "OnlineIBPR": Model(_ibpr(), IMPLICIT, TOPK, "online indexable BPR (PyTorch)", torch=True),
    "HPF": Model(
        (
            _int("k", 5, what="latent factors"),
            _int("max_iter", 100, what="iterations"),
            _flag("hierarchical", True, "hierarchical priors (False: plain Poisson factorisation)"),
        ),
        IMPLICIT,
        TOPK,
        "hierarchical Poisson factorisation (Gopalan et al.)",
    ),
    "SKMeans": Model(
        (
            _int("k", 5, what="clusters"),
            _int("max_iter", 100, what="iterations"),
            _num("tol", 1e-6, what="convergence tolerance"),
        ),
        IMPLICIT,
        TOPK,
        "spherical k-means clustering of users",
    ),
    "EASE": Model(
        (
            _num("lamb", 500.0, what="L2 regularisation"),
            _flag("posB", True, "clip negative item weights to zero (False: Steck's EASE)"),
        ),
        IMPLICIT,
        TOPK,
        "EASE, closed-form item-item linear autoencoder (Steck 2019)",
    ),
    "VAECF": Model(
        (
            _int("k", 10, what="latent dimension"),
            _layers("autoencoder_structure", [20], "hidden layers"),
            _choice("act_fn", "tanh", _ACT, "activation"),
            _choice("likelihood", "mult", ("mult", "bern", "gaus", "pois"), "likelihood"),
            _int("n_epochs", 100),
            _int("batch_size", 100),
            _rate("learning_rate", 0.001),
            _num("beta", 1.0, what="KL weight"),
        ),
        IMPLICIT,
        TOPK,
        "variational autoencoder for collaborative filtering (Liang et al.)",
        torch=True,
    ),
    "RecVAE": Model(
        (
            _int("hidden_dim", 600),
            _int("latent_dim", 200),
            _int("batch_size", 500),
            Param(
                "beta",
                float,
                default=None,
                low=0.0,
                nullable=True,
                description="fixed KL weight (null: scaled by user activity)",
            ),
            _num("gamma", 0.005, what="KL scale"),
            _rate("lr", 0.0005, what="learning rate"),
            _int("n_epochs", 50),
            _int("n_enc_epochs", 3, what="encoder epochs per epoch"),
            _int("n_dec_epochs", 1, what="decoder epochs per epoch"),
            _flag("not_alternating", False, "train encoder and decoder together"),
        ),
        IMPLICIT,
        TOPK,
        "RecVAE, composite-prior variational autoencoder (Shenbin et al.)",
        torch=True,
        min_items=101,
    ),
    "BiVAECF": Model(
        (
            _int("k", 10, what="latent dimension"),
            _layers("encoder_structure", [20], "hidden layers"),
            _choice("act_fn", "tanh", _ACT, "activation"),
            _choice("likelihood", "pois", ("bern", "gaus", "pois"), "likelihood"),
            _int("n_epochs", 100),
            _int("batch_size", 100),
            _rate("learning_rate", 0.001),
            _num("beta_kl", 1.0, what="KL weight"),
        ),
        BOTH,
        TOPK,
        "bilateral variational autoencoder (Truong et al.)",
        torch=True,
    ),
    "GMF": Model(
        _ncf(_int("num_factors", 8, what="latent factors")),
        IMPLICIT,
        TOPK,
        "generalised matrix factorisation (He et al., PyTorch backend)",
        fixed={"backend": "pytorch"},
        torch=True,
    ),
    "MLP": Model(
        _ncf(_layers("layers", [64, 32, 16, 8], "MLP layer sizes"), _choice("act_fn", "relu", _NCF_ACT)),
        IMPLICIT,
        TOPK,
        "multi-layer perceptron recommender (He et al., PyTorch backend)",
        fixed={"backend": "pytorch"},
        torch=True,
    ),
    "NeuMF": Model(
        _ncf(
            _int("num_factors", 8, what="latent factors of the GMF part"),
            _layers("layers", [64, 32, 16, 8], "MLP layer sizes"),
            _choice("act_fn", "relu", _NCF_ACT),
        ),
        IMPLICIT,
        TOPK,
        "neural matrix factorisation, GMF + MLP (He et al., PyTorch backend)",
        fixed={"backend": "pytorch"},
        torch=True,
    ),
}

#: Cornac 3.0.1 models not offered here, and why (docs/runners/cornac.md has the table).
LEFT_OUT: dict[str, str] = {
    "NGCF": "needs DGL; the newest DGL on PyPI for Python 3.11 (2.1.0) has native libraries "
    "only for torch 2.0-2.2.1, and the only CPU torch here is 2.13.0",
    "LightGCN": "needs DGL (see NGCF)",
    "GCMC": "needs DGL (see NGCF)",
    "COE": "calls np.int, removed in NumPy 2, and Cornac 3 requires NumPy 2",
    "FM": "its libFM backend aborts the process (std::bad_alloc) on any data here",
    "SANSA": "needs scikit-sparse, which has no wheel on PyPI (it builds only against "
    "system SuiteSparse headers)",
    "VEBPR": "needs view data besides purchases (PurchaseViewDataset)",
    "MCF, C2PF, PCRL": "need an item graph (side information)",
    "SoRec, SBPR": "need a social network (side information)",
    "CTR, CDL, CDR, ConvMF, CVAE, HFT": "need item texts (side information)",
    "CVAECF": "needs user features (side information)",
    "VBPR, VMF, AMR, CausalRec, DMRL": "need item images or image features (side information)",
    "EFM, MTER, LRPPM, TriRank, ComparERObj, ComparERSub, Companion, HypAR, NARRE, HRDR": "need reviews, aspects or sentiment (side information)",
    "GRU4Rec, SASRec, BERT4Rec, TransformerRec, SPop, FPMC, TIGER, LETTER, RPG, DiffGRM": "next-item models on sessions, a different task",
    "Beacon, DNNTSP, GPTop, TIFUKNN, UPCF": "next-basket models on baskets, a different task",
    "AnnoyANN, FaissANN, HNSWLibANN, ScaNNANN": "approximate retrieval wrappers around other models",
}

ALGORITHMS: tuple[str, ...] = tuple(MODELS)
