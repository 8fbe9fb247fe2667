"""Direct implicit run for the overhead benchmark (runs inside the implicit env).

    ENV_PYTHON benchmarks/direct_implicit.py DATA_DIR ALGORITHM

What an implicit user writes: a users x items CSR of the training interactions, ``fit``,
then one batched ``recommend`` for every test user with their training items filtered.
"""

import json
import sys
from pathlib import Path

import implicit.cpu.als
import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

CLASSES = {"AlternatingLeastSquares": implicit.cpu.als.AlternatingLeastSquares}
data, name = Path(sys.argv[1]), sys.argv[2]
meta = json.loads((data / "meta.json").read_text())
user, item = np.load(data / "train_user.npy"), np.load(data / "train_item.npy")
X = sp.csr_matrix((np.ones(len(user)), (user, item)), shape=(meta["n_users"], meta["n_items"]))
users = np.unique(np.load(data / "test_user.npy"))
with threadpool_limits(1, "blas"):  # as implicit recommends
    model = CLASSES[name](random_state=1)
    model.fit(X, show_progress=False)
    ids, scores = model.recommend(users, X[users], N=meta["k"], filter_already_liked_items=True)
print(ids.shape)
