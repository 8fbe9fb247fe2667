"""Direct LensKit run for the overhead benchmark (runs inside the LensKit env).

ENV_PYTHON benchmarks/direct_lenskit.py DATA_DIR SCORER
"""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from lenskit import batch
from lenskit.data import from_interactions_df
from lenskit.pipeline import topn_pipeline
from lenskit.training import TrainingOptions

MODULES = {"ItemKNNScorer": "lenskit.knn", "ImplicitMFScorer": "lenskit.als", "EASEScorer": "lenskit.knn"}
data, name = Path(sys.argv[1]), sys.argv[2]
meta = json.loads((data / "meta.json").read_text())
frame = pd.DataFrame(
    {"user_id": np.load(data / "train_user.npy"), "item_id": np.load(data / "train_item.npy")}
)
ds = from_interactions_df(frame)
scorer = getattr(importlib.import_module(MODULES[name]), name)
kwargs = {"feedback": "implicit"} if name == "ItemKNNScorer" else {}
pipe = topn_pipeline(scorer(**kwargs))
pipe.train(ds, TrainingOptions(rng=1))
users = np.unique(np.load(data / "test_user.npy"))
recs = batch.recommend(pipe, users.tolist(), n=meta["k"], n_jobs=1).to_df()  # seen items excluded
print(len(recs))
