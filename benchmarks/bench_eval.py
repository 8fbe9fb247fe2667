"""Benchmark of the central evaluation.

Default: 100k users x top-100 predictions (10M rows), about 1M test interactions; NDCG,
Recall, HR, Precision, MRR and MAP at k = 5, 10, 20, 50, 100. Prints the wall time and peak
memory of ``Evaluator.evaluate`` (validation included), the time to read the data once
(one pass over every column: the floor) and the per-user speed-up against a
straightforward per-user Python loop run in the same process on a 5k-user sample. The loop
also cross-checks the vectorised per-user values on that sample.

The large case of issue 19 (1M users x top-20, NDCG@20, Recall@20, HR@20; targets < 0.5 s
and < 0.5 GiB extra), with the test table in (user, item) order as omnirec's splitters
write it:

    nice python benchmarks/bench_eval.py --users 1000000 --top 20 --three --sorted-test --sample 0
    nice python benchmarks/bench_eval.py [--users 100000] [--sample 5000]
"""

from __future__ import annotations

import argparse
import math
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.evaluation.metrics import HR, MAP, MRR, NDCG, Precision, Recall

KS = (5, 10, 20, 50, 100)


def make_data(n_users: int, n_items: int, k: int, test_per_user: int, seed: int = 0):
    """Ranked top-k lists (already in rank order, as runners write them) and a test table."""
    rng = np.random.default_rng(seed)
    offset = rng.integers(0, n_items, n_users)
    step = 2 * rng.integers(0, n_items // 2, n_users) + 1  # odd step, n_items a power of 2: distinct items
    j = np.arange(k)
    items = (offset[:, None] + j[None, :] * step[:, None]) % n_items
    users = np.repeat(np.arange(n_users), k)
    pred = pd.DataFrame(
        {
            "user": users,
            "item": items.ravel().astype(np.int64),
            "score": np.tile(1.0 / (j + 1), n_users),
            "rank": np.tile(j + 1, n_users),
        }
    )
    # Test: half the items from the user's list (hits at random depths), half random items.
    half = test_per_user // 2
    from_list = np.take_along_axis(items, rng.integers(0, k, (n_users, half)), axis=1)
    random_items = rng.integers(0, n_items, (n_users, test_per_user - half))
    t_items = np.concatenate([from_list, random_items], axis=1).ravel()
    t_users = np.repeat(np.arange(n_users), test_per_user)
    test = pd.DataFrame({"user": t_users, "item": t_items}).drop_duplicates(ignore_index=True)
    return pred, test


def make_train(pred: pd.DataFrame, n_users: int, n_items: int, per_user: int) -> pd.DataFrame:
    """Training pairs that never appear in the users' lists (the protocol excludes them)."""
    rng = np.random.default_rng(3)
    users = np.repeat(np.arange(n_users), per_user)
    items = rng.integers(0, n_items, len(users))
    train = pd.DataFrame({"user": users, "item": items}).drop_duplicates(ignore_index=True)
    keys = train["user"].to_numpy() * n_items + train["item"].to_numpy()
    listed = np.sort(pred["user"].to_numpy() * n_items + pred["item"].to_numpy())
    pos = np.minimum(np.searchsorted(listed, keys), len(listed) - 1)
    return train[listed[pos] != keys].reset_index(drop=True)


def loop_baseline(pred: pd.DataFrame, test: pd.DataFrame, ks) -> dict[str, dict[int, float]]:
    """Per-user Python loop: group rows into lists, then score each user's list on its own."""
    lists: dict[int, list[tuple[int, int]]] = {}
    for u, i, r in zip(pred["user"].tolist(), pred["item"].tolist(), pred["rank"].tolist()):
        lists.setdefault(u, []).append((r, i))
    truth: dict[int, set[int]] = {}
    for u, i in zip(test["user"].tolist(), test["item"].tolist()):
        truth.setdefault(u, set()).add(i)
    sums = {m: dict.fromkeys(ks, 0.0) for m in ("NDCG", "Recall", "HR", "Precision", "MRR", "MAP")}
    for u, rel in truth.items():
        ranked = [i for _, i in sorted(lists.get(u, []))]
        for k in ks:
            top = ranked[:k]
            flags = [i in rel for i in top]
            hits = sum(flags)
            dcg = sum(1 / math.log2(p + 2) for p, f in enumerate(flags) if f)
            idcg = sum(1 / math.log2(p + 2) for p in range(min(len(rel), k)))
            first = next((p + 1 for p, f in enumerate(flags) if f), None)
            ap, seen = 0.0, 0
            for p, f in enumerate(flags):
                if f:
                    seen += 1
                    ap += seen / (p + 1)
            sums["NDCG"][k] += dcg / idcg
            sums["Recall"][k] += hits / len(rel)
            sums["HR"][k] += hits > 0
            sums["Precision"][k] += hits / k
            sums["MRR"][k] += 1 / first if first else 0.0
            sums["MAP"][k] += ap / min(len(rel), k)
    n = len(truth)
    return {m: {k: v / n for k, v in by_k.items()} for m, by_k in sums.items()}


def pandas_loop_baseline(pred: pd.DataFrame, test: pd.DataFrame, ks) -> dict[str, dict[int, float]]:
    """The common pandas version: group both tables, then per user sort, slice and test membership."""
    sums = {m: dict.fromkeys(ks, 0.0) for m in ("NDCG", "Recall", "HR", "Precision", "MRR", "MAP")}
    by_user = dict(tuple(pred.groupby("user")))
    n = 0
    for u, t in test.groupby("user"):
        n += 1
        rel = t["item"].to_numpy()
        p = by_user.get(u)
        ranked = p.sort_values("rank")["item"].to_numpy() if p is not None else np.empty(0, dtype=np.int64)
        for k in ks:
            flags = np.isin(ranked[:k], rel)
            pos = np.flatnonzero(flags) + 1
            hits = len(pos)
            idcg = (1 / np.log2(np.arange(2, min(len(rel), k) + 2))).sum()
            sums["NDCG"][k] += (1 / np.log2(pos + 1)).sum() / idcg
            sums["Recall"][k] += hits / len(rel)
            sums["HR"][k] += hits > 0
            sums["Precision"][k] += hits / k
            sums["MRR"][k] += 1 / pos[0] if hits else 0.0
            sums["MAP"][k] += (np.arange(1, hits + 1) / pos).sum() / min(len(rel), k)
    return {m: {k: v / n for k, v in by_k.items()} for m, by_k in sums.items()}


def read_once(pred: pd.DataFrame, test: pd.DataFrame) -> float:
    """Best wall time of one pass over every column (the least any evaluation must do)."""
    cols = [pred[c].to_numpy() for c in pred.columns] + [test[c].to_numpy() for c in test.columns]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for col in cols:
            col.sum()
        best = min(best, time.perf_counter() - t0)
    return best


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_growth(run) -> tuple[object, float]:
    """``run()``'s result and how far this process's RSS rose above its start (sampled)."""
    start = peak = _rss_mib()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.005):
            peak = max(peak, _rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = run()
    finally:
        stop.set()
        thread.join()
    return result, max(peak, _rss_mib()) - start


def timed_evaluate(evaluator: Evaluator, pred, test, n_users, n_items, repeat: int = 3):
    """Best wall and CPU time of ``repeat`` runs, and the peak traced memory of the first."""
    evaluator.evaluate(pred, test, n_users=n_users, n_items=n_items)  # warm: imports, page cache
    tracemalloc.start()
    result = evaluator.evaluate(pred, test, n_users=n_users, n_items=n_items)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = evaluator.evaluate(pred, test, n_users=n_users, n_items=n_items)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return result, min(walls), min(cpus), peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=1 << 15)
    ap.add_argument("--sample", type=int, default=5_000)
    ap.add_argument("--test-per-user", type=int, default=10)
    ap.add_argument("--top", type=int, default=max(KS), help="list length K (cutoffs up to K)")
    ap.add_argument("--three", action="store_true", help="only NDCG, Recall and HR at k = K")
    ap.add_argument("--sorted-test", action="store_true", help="test rows in (user, item) order")
    args = ap.parse_args()
    k = args.top
    ks = tuple(c for c in KS if c <= k) or (k,)

    pred, test = make_data(args.users, args.items, k, args.test_per_user)
    if args.sorted_test:
        test = test.sort_values(["user", "item"], ignore_index=True)
    print(
        f"data: {args.users} users, {args.items} items, {len(pred):,} prediction rows, {len(test):,} test rows"
    )
    if args.three:
        evaluator = Evaluator(NDCG([k]), Recall([k]), HR([k]))
    else:
        evaluator = Evaluator(NDCG(ks), Recall(ks), HR(ks), Precision(ks), MRR(ks), MAP(ks))

    floor = read_once(pred, test)
    result, wall, cpu, peak = timed_evaluate(evaluator, pred, test, args.users, args.items)
    _, grown = rss_growth(lambda: evaluator.evaluate(pred, test, n_users=args.users, n_items=args.items))
    print(
        f"vectorised evaluate, rows in rank order: {wall:.2f} s wall, {cpu:.2f} s CPU (best of 3); "
        f"peak traced memory {peak / 2**20:.0f} MiB, RSS rose {grown:.0f} MiB; "
        f"reading the data once takes {floor:.3f} s -> {wall / floor:.1f}x that"
    )
    if args.sample <= 0 or args.three:
        return

    shuffled = pred.sample(frac=1.0, random_state=1, ignore_index=True)
    result_s, wall_s, cpu_s, peak_s = timed_evaluate(
        evaluator, shuffled, test, args.users, args.items, repeat=1
    )
    same = all(np.isclose(result.values[lab], result_s.values[lab]) for lab in result.values)
    print(
        f"vectorised evaluate, rows shuffled:     {wall_s:.2f} s wall, {cpu_s:.2f} s CPU; "
        f"peak traced memory {peak_s / 2**20:.0f} MiB; same values: {same}"
    )

    # With a training table (20 interactions per user, none in the lists) checked for leakage.
    train = make_train(pred, args.users, args.items, 20)
    t0, c0 = time.perf_counter(), time.process_time()
    result_t = evaluator.evaluate(pred, test, train=train, n_users=args.users, n_items=args.items)
    print(
        f"vectorised evaluate + train exclusion check ({len(train):,} train rows): "
        f"{time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU; "
        f"same values: {result_t.values == result.values}"
    )

    rng = np.random.default_rng(2)
    sample = np.sort(rng.choice(args.users, size=args.sample, replace=False))
    sp, st = pred[pred["user"].isin(sample)], test[test["user"].isin(sample)]
    t0, c0 = time.perf_counter(), time.process_time()
    loop = loop_baseline(sp, st, ks)
    loop_wall, loop_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    ploop = pandas_loop_baseline(sp, st, ks)
    ploop_wall, ploop_cpu = time.perf_counter() - t0, time.process_time() - c0

    # Cross-check: the vectorised per-user values averaged over the sample equal the loops'.
    at = np.searchsorted(result.users, sample)
    worst = max(
        abs(float(np.mean(result.per_user[f"{m}@{kk}"][at])) - ref[m][kk])
        for ref in (loop, ploop)
        for m in loop
        for kk in ks
    )
    vec_us = cpu / args.users * 1e6
    for name, l_wall, l_cpu in (("dict/set", loop_wall, loop_cpu), ("pandas groupby", ploop_wall, ploop_cpu)):
        loop_us = l_cpu / args.sample * 1e6
        print(
            f"per-user {name} Python loop on {args.sample} users: {l_wall:.2f} s wall, {l_cpu:.2f} s CPU = "
            f"{loop_us:.1f} us/user vs {vec_us:.2f} us/user vectorised -> {loop_us / vec_us:.0f}x (CPU), "
            f"{l_wall / args.sample / (wall / args.users):.0f}x (wall)"
        )
    print(f"max |loop - vectorised| of the sample means: {worst:.2e}")
    print(
        "NDCG@10 = {:.4f}, Recall@10 = {:.4f}, MAP@100 = {:.4f}".format(
            result.values["NDCG@10"], result.values["Recall@10"], result.values["MAP@100"]
        )
    )


if __name__ == "__main__":
    main()
