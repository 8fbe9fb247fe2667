"""LensKit overhead: ItemKNN and ImplicitMF on ML-100K, a direct script in the LensKit
env vs the same work through omnirec (see ``_framework.py``); target ratio < 1.2.

    nice python benchmarks/bench_lenskit.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _framework import compare

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    compare(
        "LensKit",
        ["ItemKNNScorer", "ImplicitMFScorer"],
        Path(__file__).with_name("direct_lenskit.py"),
        args.repeat,
    )
