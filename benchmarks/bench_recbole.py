"""RecBole overhead: BPR (5 epochs) on ML-100K, RecBole's own API in the RecBole env vs
the same work through omnirec (see ``_framework.py``); target ratio < 1.2.

    nice python benchmarks/bench_recbole.py [--repeat 2]
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
        "RecBole",
        ["BPR"],
        Path(__file__).with_name("direct_recbole.py"),
        args.repeat,
        configs={"BPR": {"epochs": 5}},
    )
