"""Direct RecPack run for the overhead benchmark (runs inside the RecPack env).

ENV_PYTHON benchmarks/direct_recpack.py DATA_DIR ALGORITHM
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from recpack import algorithms as rp
from recpack.util import get_top_K_ranks

warnings.simplefilter("ignore", UserWarning)
data, name = Path(sys.argv[1]), sys.argv[2]
meta = json.loads((data / "meta.json").read_text())
user, item = np.load(data / "train_user.npy"), np.load(data / "train_item.npy")
X = sp.csr_matrix((np.ones(len(user)), (user, item)), shape=(meta["n_users"], meta["n_items"]))
test_users = np.unique(np.load(data / "test_user.npy"))
algo = getattr(rp, name)()
algo.fit(X)
hist = sp.csr_matrix(X[test_users])
scores = sp.csr_matrix(algo.predict(hist))
scores = scores - scores.multiply(hist)  # training items excluded
scores.eliminate_zeros()
top = get_top_K_ranks(scores, meta["k"])
print(top.nnz)
