"""Direct Cornac run for the overhead benchmark (runs inside the Cornac env).

    ENV_PYTHON benchmarks/direct_cornac.py DATA_DIR MODEL

What a Cornac user writes: ``Dataset.from_uir`` on the training triples, ``fit``, then
Cornac's ``recommend`` for every test user with the seen items removed.
"""

import json
import sys
from pathlib import Path

import cornac.models
import numpy as np
from cornac.data import Dataset

data, name = Path(sys.argv[1]), sys.argv[2]
meta = json.loads((data / "meta.json").read_text())
user, item = np.load(data / "train_user.npy"), np.load(data / "train_item.npy")
train = Dataset.from_uir(list(zip(user.tolist(), item.tolist(), [1.0] * len(user))), seed=1)
model = getattr(cornac.models, name)(seed=1)
model.fit(train)
lists = [
    model.recommend(u, k=meta["k"], remove_seen=True, train_set=train)
    for u in np.unique(np.load(data / "test_user.npy")).tolist()
    if u in train.uid_map  # every test user has training data in this split
]
print(len(lists))
