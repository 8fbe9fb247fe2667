"""Direct RecBole run for the overhead benchmark (runs inside the RecBole env).

RecBole's own API on the same split: atomic benchmark files, ``Config``,
``create_dataset``, ``data_preparation``, the model, ``Trainer.fit`` for a fixed number
of epochs (no validation), then ``full_sort_topk`` for every test user (training items
masked by RecBole's history).

    ENV_PYTHON benchmarks/direct_recbole.py DATA_DIR MODEL
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

EPOCHS = 5
data, name = Path(sys.argv[1]), sys.argv[2]
meta = json.loads((data / "meta.json").read_text())
work = Path(tempfile.mkdtemp())
ds_dir = work / "bench"
ds_dir.mkdir()
train_u, train_i = np.load(data / "train_user.npy"), np.load(data / "train_item.npy")
test_u, test_i = np.load(data / "test_user.npy"), np.load(data / "test_item.npy")
header = "user_id:token\titem_id:token\n"
for part, (u, i) in {
    "train": (train_u, train_i),
    "valid": (test_u[:1], test_i[:1]),
    "test": (test_u, test_i),
}.items():
    with open(ds_dir / f"bench.{part}.inter", "w") as fh:
        fh.write(header)
        fh.writelines(f"{a}\t{b}\n" for a, b in zip(u, i))
os.chdir(work)
sys.argv = sys.argv[:1]  # RecBole parses the command line
from recbole.config import Config  # noqa: E402
from recbole.data import create_dataset, data_preparation  # noqa: E402
from recbole.trainer import Trainer  # noqa: E402
from recbole.utils import get_model, init_seed  # noqa: E402
from recbole.utils.case_study import full_sort_topk  # noqa: E402

config = Config(
    model=name,
    dataset="bench",
    config_dict={
        "data_path": str(work),
        "benchmark_filename": ["train", "valid", "test"],
        "epochs": EPOCHS,
        "use_gpu": False,
        "seed": 1,
        "show_progress": False,
        "checkpoint_dir": str(work / "saved"),
        "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "mode": "full", "group_by": "user"},
        "train_neg_sample_args": {"distribution": "uniform", "sample_num": 1},
    },
)
init_seed(config["seed"], config["reproducibility"])
dataset = create_dataset(config)
train_data, valid_data, test_data = data_preparation(config, dataset)
model = get_model(name)(config, train_data._dataset).to(config["device"])
trainer = Trainer(config, model)
trainer.fit(train_data, valid_data=None, saved=False, show_progress=False)
uids = dataset.token2id(dataset.uid_field, [str(u) for u in np.unique(test_u)])
scores, items = full_sort_topk(uids, model, test_data, k=meta["k"], device=config["device"])
print(items.shape)
