"""Per-job result files, loading a checkpoint tree, and ``omnirec results``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from omnirec_core.cli.results import results_cmd
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.evaluation.metrics import HR, NDCG, RMSE, ItemCoverage
from omnirec_core.evaluation.result import (
    METRICS_FILE,
    PER_USER_FILE,
    JobResult,
    ResultsError,
)
from omnirec_core.orchestration.tree import load_checkpoint_results

N_USERS, N_ITEMS = 50, 30


def job_result(quality: float, seed: int) -> JobResult:
    """A real evaluation of lists that hit a user's test items with probability ``quality``."""
    rng = np.random.default_rng(seed)
    test = pd.DataFrame(
        {"user": np.repeat(np.arange(N_USERS), 2), "item": rng.integers(0, N_ITEMS, 2 * N_USERS)}
    )
    test = test.drop_duplicates(ignore_index=True)
    rows = []
    for u in range(N_USERS):
        rel = test.loc[test.user == u, "item"].tolist()
        hits = [i for i in rel if rng.random() < quality]
        rest = [i for i in rng.permutation(N_ITEMS).tolist() if i not in hits]
        rows += [(u, i, 10.0 - p) for p, i in enumerate((hits + rest)[:10])]
    pred = pd.DataFrame(rows, columns=["user", "item", "score"])
    return Evaluator(NDCG([5, 10]), HR(10), ItemCoverage(10)).evaluate(
        pred, test, n_users=N_USERS, n_items=N_ITEMS
    )


def write_job(
    root: Path, ds: str, key: str, algo: str, cfg: dict, fold: int | None, result: JobResult | None
) -> Path:
    job_dir = root / f"{ds}-{key}" / f"{algo}-{abs(hash(json.dumps(cfg))) % 10**8:08d}"
    if fold is not None:
        job_dir = job_dir / f"fold_{fold}"
    job_dir.mkdir(parents=True)
    info = {
        "dataset": ds,
        "dataset_key": key,
        "algorithm": algo,
        "config": cfg,
        "fold": fold,
        "status": "done",
    }
    (job_dir / "job.json").write_text(json.dumps(info))
    if result is not None:
        result.save(job_dir)
    return job_dir


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkpoints")
    for fold in range(2):
        write_job(root, "ml-100k", "aaaa1111", "LensKit.Pop", {}, fold, job_result(0.1, fold))
        write_job(root, "ml-100k", "aaaa1111", "RecBole.BPR", {"lr": 0.01}, fold, job_result(0.9, 10 + fold))
    write_job(root, "ml-100k", "aaaa1111", "RecPack.EASE", {}, 0, None)  # not evaluated yet: skipped
    return root


def test_save_and_load_job_result(tmp_path):
    res = job_result(0.5, 1)
    path = res.save(tmp_path / "job")
    assert path.name == METRICS_FILE and (tmp_path / "job" / PER_USER_FILE).exists()
    doc = json.loads(path.read_text())
    assert doc["format"] == "omnirec-metrics" and doc["version"] == 1
    assert doc["labels"] == list(res.values)
    assert doc["report"]["topk"]["evaluated_users"] == len(res.users)
    assert [m["name"] for m in doc["metrics"]] == ["NDCG", "HR", "ItemCoverage"]
    assert "IDCG" in doc["metrics"][0]["formula"]
    back = JobResult.load(tmp_path / "job")
    assert back.values == res.values and list(back.values) == list(res.values)
    assert np.array_equal(back.users, res.users)
    assert back.per_user.keys() == res.per_user.keys() == {"NDCG@5", "NDCG@10", "HR@10"}
    for lab in res.per_user:
        assert np.array_equal(back.per_user[lab], res.per_user[lab])
    assert JobResult.load(tmp_path / "job", per_user=False).per_user == {}
    assert sorted(p.name for p in (tmp_path / "job").iterdir()) == [
        METRICS_FILE,
        PER_USER_FILE,
    ]  # no temp files
    frame = back.to_frame()
    assert frame["metric"].tolist() == ["NDCG", "NDCG", "HR", "ItemCoverage"]
    assert back.per_user_frame().shape == (len(back.users), 4)


def test_rating_and_ranking_users_are_aligned_on_their_union():
    test = pd.DataFrame({"user": [0, 1, 2], "item": [1, 2, 3], "rating": [4.0, 3.0, 5.0]})
    topk = pd.DataFrame({"user": [0, 1], "item": [1, 5], "score": [1.0, 1.0]})
    pairs = pd.DataFrame({"user": [0, 1, 2], "item": [1, 2, 3], "score": [4.0, 3.0, 4.0]})
    ev = Evaluator(HR(1), RMSE(), relevance_threshold=4.0)  # ranking: users 0, 2; rating: 0, 1, 2
    res = ev.evaluate(topk, test, n_users=3, n_items=6, pair_scores=pairs)
    assert res.users.tolist() == [0, 1, 2]
    assert res.per_user["HR@1"][[0, 2]].tolist() == [1.0, 0.0] and np.isnan(res.per_user["HR@1"][1])
    assert res.per_user["RMSE"].tolist() == [0.0, 0.0, 1.0]


def test_corrupt_or_missing_files(tmp_path):
    with pytest.raises(ResultsError, match="has not been evaluated yet"):
        JobResult.load(tmp_path / "nothing")
    res = job_result(0.5, 2)
    res.save(tmp_path / "j")
    (tmp_path / "j" / PER_USER_FILE).write_bytes(b"garbage")
    with pytest.raises(ResultsError, match="does not match its sha256"):
        JobResult.load(tmp_path / "j")
    (tmp_path / "j" / METRICS_FILE).write_text('{"format": "other"}')
    with pytest.raises(ResultsError, match="not an omnirec metrics file"):
        JobResult.load(tmp_path / "j")
    (tmp_path / "j" / METRICS_FILE).write_text("{")
    with pytest.raises(ResultsError, match="unreadable"):
        JobResult.load(tmp_path / "j")


def test_load_checkpoint_tree(tree):
    ev = load_checkpoint_results(tree)
    keys = set(ev.jobs())
    assert keys == {
        ("ml-100k", "LensKit.Pop", "{}", 0),
        ("ml-100k", "LensKit.Pop", "{}", 1),
        ("ml-100k", "RecBole.BPR", '{"lr": 0.01}', 0),
        ("ml-100k", "RecBole.BPR", '{"lr": 0.01}', 1),
    }
    comp = ev.compare("LensKit.Pop", "NDCG@10")
    assert comp.iloc[0]["algorithm"] == "RecBole.BPR" and comp.iloc[0]["significant_t"]
    table = ev.get_tables()[0]
    assert [c.header for c in table.columns][:3] == ["Algorithm", "Config", "Folds"]


def test_same_dataset_name_with_two_keys_is_told_apart(tmp_path):
    write_job(tmp_path, "ml-100k", "aaaa1111bbbb", "LensKit.Pop", {}, None, job_result(0.2, 1))
    write_job(tmp_path, "ml-100k", "cccc2222dddd", "LensKit.Pop", {}, None, job_result(0.2, 2))
    ev = load_checkpoint_results(tmp_path)
    assert {k[0] for k in ev.jobs()} == {"ml-100k (aaaa1111)", "ml-100k (cccc2222)"}


def test_job_without_job_json_is_named_from_its_path(tmp_path):
    job_dir = tmp_path / "ml-1m-0123abcd" / "RecPack.EASE-99887766" / "fold_3"
    job_result(0.3, 4).save(job_dir)
    ev = load_checkpoint_results(tmp_path)
    assert list(ev.jobs()) == [("ml-1m", "RecPack.EASE", "{}", 3)]


def test_not_a_directory(tmp_path):
    with pytest.raises(ResultsError, match="is not a directory"):
        load_checkpoint_results(tmp_path / "missing")


# -- the CLI ------------------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(results_cmd, list(args), catch_exceptions=True)


def test_cli_table(tree):
    out = run(str(tree))
    assert out.exit_code == 0, out.output
    assert "ml-100k" in out.output and "RecBole.BPR" in out.output and "NDCG@10" in out.output
    assert "RecPack.EASE" not in out.output


def test_cli_csv_matches_the_api(tree):
    out = run(str(tree), "--format", "csv")
    assert out.exit_code == 0, out.output
    from io import StringIO

    back = pd.read_csv(StringIO(out.output))
    ref = load_checkpoint_results(tree).get_results()
    assert back["value"].tolist() == pytest.approx(ref["value"].tolist())
    assert list(back.columns) == ["dataset", "algorithm", "config", "fold", "metric", "k", "value"]


@pytest.mark.parametrize(
    ("fmt", "needle"), [("json", '"summary"'), ("markdown", "| Algorithm |"), ("latex", r"\toprule")]
)
def test_cli_other_formats(tree, fmt, needle):
    out = run(str(tree), "--format", fmt)
    assert out.exit_code == 0, out.output
    assert needle in out.output


def test_cli_compare(tree):
    out = run(str(tree), "--compare", "LensKit.Pop", "--metric", "NDCG@10", "--format", "markdown")
    assert out.exit_code == 0, out.output
    assert "\\*†" in out.output and "against LensKit.Pop" in out.output
    out = run(str(tree), "--compare", "LensKit.Pop", "--format", "csv")
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("dataset,baseline,algorithm,config,metric,n,")


def test_cli_output_file(tree, tmp_path):
    target = tmp_path / "out" / "results.tex"
    out = run(str(tree), "--format", "latex", "--per-fold", "--output", str(target))
    assert out.exit_code == 0, out.output
    text = target.read_text()
    assert "Fold" in text and r"\begin{table}" in text


def test_cli_empty_dir_is_a_clear_error(tmp_path):
    out = run(str(tmp_path))
    assert isinstance(out.exception, ResultsError)
    assert "no evaluated jobs" in str(out.exception)


def test_cli_unknown_baseline(tree):
    out = run(str(tree), "--compare", "LensKit.Popp")
    assert "Did you mean 'LensKit.Pop'" in str(out.exception)
