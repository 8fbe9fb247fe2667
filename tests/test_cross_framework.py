"""One protocol, one evaluation: the same model in two frameworks scores the same.

EASE has a closed form, so LensKit's EASEScorer and RecPack's EASE with the same
regularisation on the same split must produce the same ranked lists, and the central
evaluation must give them the same numbers. A difference would mean a protocol leak
(candidate sets, training-item exclusion, ties) in one of the runners.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omnirec_core import HR, NDCG, Evaluator, Recall

pytestmark = pytest.mark.integration


def test_lenskit_and_recpack_ease_agree(ml100k_implicit, run_coordinator, tmp_path: Path) -> None:
    pytest.importorskip("omnirec_lenskit")
    pytest.importorskip("omnirec_recpack")
    ev = run_coordinator(
        tmp_path / "ck",
        ml100k_implicit,
        {"LensKit.EASEScorer": {"regularization": 250.0}, "RecPack.EASE": {"l2": 250.0}},
        Evaluator(NDCG([10]), Recall([10]), HR([10])),
    )
    res = ev.get_results().pivot_table(index=["metric", "k"], columns="algorithm", values="value")
    np.testing.assert_allclose(res["LensKit.EASEScorer"], res["RecPack.EASE"], atol=2e-3)
    assert (res["RecPack.EASE"] > 0.2).all()
