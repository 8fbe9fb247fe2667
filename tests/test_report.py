"""The experiment report (``omnirec report``): its content against the checkpoint records.

The tree comes from real runs of the fake runner (tests/support/report_tree.py): a tuned,
3-fold dataset from the catalogue and a plain holdout with a failing job.
"""

from __future__ import annotations

import base64
import builtins
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from omnirec_core.cli import main
from omnirec_core.evaluation.comparison import compare
from omnirec_core.evaluation.labels import config_text, row_label
from omnirec_core.evaluation.metrics.significance import align, holm, paired_ttest, wilcoxon_test
from omnirec_core.evaluation.tables import T_MARK, W_MARK, fmt_value
from omnirec_core.experiment.runfile import load_run_file
from omnirec_core.orchestration.planning import dataset_key
from omnirec_core.orchestration.tree import load_checkpoint_results
from omnirec_core.random import get_random_state, set_random_state
from omnirec_core.report import ReportError, build, plots, summaries
from omnirec_core.report.reproduce import derive_run_file
from tests.support import report_tree

BASELINE, METRIC = "Fake.Pop", "NDCG@10"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed = get_random_state()
    try:
        return report_tree.make(tmp_path_factory.mktemp("report") / "checkpoints")
    finally:
        set_random_state(seed)


@pytest.fixture(scope="module")
def html(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = build(tree, tmp_path_factory.mktemp("out") / "report.html", baseline=BASELINE, metric=METRIC)
    return path, path.read_text()


class Page(HTMLParser):
    """Tables (cell texts, per section id), images and the embedded data of a report page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.section = ""
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.scripts: list[dict[str, str]] = []
        self._cell: list[str] | None = None
        self._script: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("h2", "h3", "h4") and a.get("id"):
            self.section = a["id"]
        elif tag == "table":
            self.tables.append((self.section, []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(a)
        elif tag == "script":
            self._script = {**a, "text": ""}
        if tag in ("a", "link") and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "script" and self._script is not None:
            self.scripts.append(self._script)
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._script is not None:
            self._script["text"] += data

    def data(self) -> dict[str, Any]:
        return json.loads(next(s for s in self.scripts if s.get("id") == "report-data")["text"])

    def table(self, section: str) -> list[list[str]]:
        return next(rows for sec, rows in self.tables if sec == section)


def results_json(tree: Path) -> dict[str, Any]:
    out = CliRunner().invoke(
        main, ["results", str(tree), "--format", "json", "--compare", BASELINE, "--metric", METRIC]
    )
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def anchor(label: str) -> str:
    return "ds-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


# ---- the page ------------------------------------------------------------------------------


def test_the_page_is_self_contained_with_every_plot_where_it_applies(html: tuple[Path, str]) -> None:
    path, text = html
    page = Page(text)
    # Nothing is fetched: no external script, style, font or image; every image is inline SVG.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "@import" not in text and "url(" not in text
    assert [s for s in page.scripts if s.get("src")] == []
    assert all(link.startswith("#") for link in page.links)
    kinds = [img["data-plot"] for img in page.images]
    # synth (holdout): no folds; synthetic-tiny (3 folds, tuned): fold spread, and one search
    # with more than one trial (Fake.ItemCF; Pop and Random have no space to search).
    assert sorted(kinds) == sorted(
        ["dataset", "metric-k", "distribution", "significance", "cost"] * 2
        + ["folds", "search-history", "search-params"]
    )
    for img in page.images:
        assert img["src"].startswith("data:image/svg+xml;base64,")
        svg = ET.fromstring(base64.b64decode(img["src"].split(",", 1)[1]))
        assert svg.tag.endswith("svg") and float(svg.get("width", "0").rstrip("pt")) > 100
        assert len(list(svg.iter())) > 50  # drawn, not empty
        assert img["alt"]
    assert [p["kind"] for p in page.data()["plots"]] == kinds
    assert path.stat().st_size < 2_000_000


def test_table_values_and_markers_equal_omnirec_results_json(tree: Path, html: tuple[Path, str]) -> None:
    doc = results_json(tree)
    page = Page(html[1])
    marks = {
        (c["dataset"], c["algorithm"], c["config"], c["metric"]): (T_MARK if c["significant_t"] else "")
        + (W_MARK if c["significant_w"] else "")
        for c in doc["comparison"]
    }
    checked = 0
    for ds in ("synth", "synthetic-tiny"):
        rows = page.table(anchor(ds) + "-results")
        header = rows[0]
        by_row = {(r[0], r[1]): dict(zip(header, r)) for r in rows[1:]}
        for s in doc["summary"]:
            if s["dataset"] != ds:
                continue
            cells = by_row[(s["algorithm"], config_text(s["config"]))]
            std = s["std"] if s["folds"] > 1 else None
            expected = fmt_value(s["mean"], std) + marks.get(
                (ds, s["algorithm"], s["config"], s["label"]), ""
            )
            assert cells[s["label"]] == expected
            checked += 1
        assert any(m for (d, *_), m in marks.items() if d == ds)  # markers are there to check
    assert checked == len(doc["summary"]) == 3 * 4 + 3 * 5  # Fake.Random failed on synth
    failed = page.table(anchor("synth") + "-results")[-1]
    assert failed[0] == "Fake.Random" and failed[-1] == "failed (fit)"


def test_plot_data_are_the_results_values(tree: Path, html: tuple[Path, str]) -> None:
    data = Page(html[1]).data()
    results = load_checkpoint_results(tree)
    summary = results.summary()
    assert data["metric"] == METRIC and data["baseline"] == BASELINE and data["higher_is_better"]
    for ds, part in data["datasets"].items():
        for curve in part["curves"]:
            for series in curve["series"]:
                for k, value in zip(curve["ks"], series["values"]):
                    same_row = np.array(
                        [row_label(a, c) == series["row"] for a, c in zip(summary.algorithm, summary.config)]
                    )
                    row = summary[
                        (summary.dataset == ds) & (summary.label == f"{curve['metric']}@{k}") & same_row
                    ]
                    assert value == pytest.approx(float(row["mean"].iloc[0]), rel=1e-12)
        jobs = {k: r for k, r in results.jobs().items() if k[0] == ds}
        for box in part["distributions"]:
            values = np.concatenate(
                [r.per_user[METRIC] for k, r in jobs.items() if row_label(k[1], k[2]) == box["row"]]
            )
            values = values[np.isfinite(values)]
            assert box["n"] == len(values) and box["mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert box["median"] == pytest.approx(np.median(values))
            assert box["whislo"] <= box["q1"] <= box["median"] <= box["q3"] <= box["whishi"]
            if ds == "synth":  # one fold: the users' mean is the table's value
                (value,) = [r.values[METRIC] for k, r in jobs.items() if row_label(k[1], k[2]) == box["row"]]
                assert box["mean"] == pytest.approx(value, rel=1e-12)
        if ds == "synthetic-tiny":
            for spread in part["folds"]:
                per_fold = {
                    k[3]: r.values[METRIC] for k, r in jobs.items() if row_label(k[1], k[2]) == spread["row"]
                }
                assert dict(zip(spread["folds"], spread["values"])) == per_fold
                assert spread["mean"] == pytest.approx(np.mean(list(per_fold.values())))
        else:
            assert part["folds"] is None
        for cost in part["costs"]:
            assert cost["jobs"] >= 1 and cost["fit_s"] is not None and cost["peak_rss_mib"] > 0


def test_pairwise_matrix_equals_the_paired_tests_holm_over_all_pairs(tree: Path) -> None:
    results = load_checkpoint_results(tree, per_user=[METRIC])
    for ds in ("synth", "synthetic-tiny"):
        m = summaries.pairwise(results, ds, METRIC)
        assert m is not None and m["note"] == ""
        rows = summaries.rows(results, ds)
        assert m["rows"] == [row_label(*r) for r in rows]
        jobs = results.jobs()
        t_raw, w_raw = [], []
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                parts = [
                    align(ka_res.users, ka_res.per_user[METRIC], kb.users, kb.per_user[METRIC])
                    for (ka, ka_res) in jobs.items()
                    if ka[:3] == (ds, *rows[i])
                    for kb in [jobs[(ds, *rows[j], ka[3])]]
                ]
                a = np.concatenate([p[0] for p in parts])
                b = np.concatenate([p[1] for p in parts])
                assert m["n"][i][j] == len(a)
                assert m["diff"][i][j] == pytest.approx(a.mean() - b.mean(), abs=1e-12)
                t_raw.append(paired_ttest(a, b)[1])
                w_raw.append(wilcoxon_test(a, b)[1])
                assert m["t_p"][i][j] == pytest.approx(t_raw[-1], rel=1e-8, abs=1e-300)
                assert m["w_p"][i][j] == w_raw[-1] == m["w_p"][j][i]
        upper = [(i, j) for i in range(len(rows)) for j in range(i + 1, len(rows))]
        for (i, j), t, w in zip(upper, holm(np.array(t_raw)), holm(np.array(w_raw))):
            assert m["t_p_holm"][i][j] == pytest.approx(t, rel=1e-8) and m["w_p_holm"][i][j] == w
        # The raw t-test p-values are the ones `compare` finds against a baseline.
        comp = compare(results, BASELINE, METRIC)
        base = m["rows"].index(BASELINE)
        for r in comp[comp.dataset == ds].itertuples():
            other = m["rows"].index(row_label(r.algorithm, r.config))
            assert m["t_p"][base][other] == pytest.approx(r.t_p, rel=1e-8)
    # Beyond the budget: t-tests only, and the page says why.
    capped = summaries.pairwise(results, "synth", METRIC, budget=10)
    assert capped is not None and capped["w_p"] is None and "Wilcoxon tests left out" in capped["note"]


def test_pairwise_pairs_users_within_folds_and_skips_missing_values() -> None:
    from omnirec_core.evaluation.result import JobResult
    from omnirec_core.evaluation.resultset import ResultSet

    rng = np.random.default_rng(3)
    results = ResultSet()
    users = {0: np.arange(0, 40), 1: np.arange(30, 80)}
    raw: dict[tuple[str, int], np.ndarray] = {}
    for algo, shift in (("A.a", 0.0), ("B.b", 0.05), ("C.c", 0.05)):
        for fold, u in users.items():
            v = np.clip(rng.random(len(u)) * 0.5 + shift, 0, 1)
            if algo == "B.b":
                v[::7] = np.nan  # users this algorithm has no value for
            if algo == "C.c":
                v = raw[("B.b", fold)].copy()  # identical to B.b: no difference at all
            raw[(algo, fold)] = v
            results.add("d", algo, {}, fold, JobResult({"M": float(np.nanmean(v))}, u, {"M": v}))
    m = summaries.pairwise(results, "d", "M")
    assert m is not None
    for (i, x), (j, y) in [((0, "A.a"), (1, "B.b")), ((0, "A.a"), (2, "C.c"))]:
        parts = [align(users[f], raw[(x, f)], users[f], raw[(y, f)]) for f in (0, 1)]
        a, b = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        assert m["n"][i][j] == len(a) < 90
        assert m["t_p"][i][j] == pytest.approx(paired_ttest(a, b)[1], rel=1e-8)
    assert m["t_p"][1][2] == 1.0 and m["diff"][1][2] == 0.0 and m["w_p"][1][2] == 1.0


# ---- sections --------------------------------------------------------------------------------


def test_dataset_section_shows_the_records(tree: Path, html: tuple[Path, str]) -> None:
    page = Page(html[1])
    rec = json.loads(next(tree.glob("synthetic-tiny-*/dataset.json")).read_text())
    text = html[1]
    assert rec["fingerprint"] in text and rec["key"] in text and "synthetic-tiny" in text
    steps = page.table(anchor("synthetic-tiny") + "-data")
    stages = [r for r in page.tables if r[0] == anchor("synthetic-tiny") + "-data"]
    step_rows = next(rows for _, rows in stages if rows[0][0] == "After")
    assert [r[0] for r in step_rows[1:]] == ["loaded", "MakeImplicit", "CorePruning", "UserCrossValidation"]
    profiles = [rec["step_profiles"][0]["before"]] + [s["after"] for s in rec["step_profiles"]]
    for row, prof in zip(step_rows[1:], profiles):
        assert row[2:5] == [f"{prof['users']:,}", f"{prof['items']:,}", f"{prof['interactions']:,}"]
    split_rows = next(rows for _, rows in stages if rows[0][:2] == ["Fold", "Part"])
    tests = [r for r in split_rows[1:] if r[1] == "test"]
    assert [int(r[2].replace(",", "")) for r in tests] == [f["test"]["rows"] for f in rec["split"]["folds"]]
    assert steps  # the first table of the section: name, source, checksums


def test_plan_tuning_provenance_and_failures(tree: Path, html: tuple[Path, str]) -> None:
    page = Page(html[1])
    plan = page.table(anchor("synth") + "-plan")
    jobs = {
        json.loads(p.read_text())["algorithm"]: json.loads(p.read_text())
        for p in tree.glob("synth-*/*/job.json")
    }
    pop = next(r for r in plan if r[0] == "Fake.Pop")
    assert pop[3] == str(jobs["Fake.Pop"]["seed"]) and pop[4] == jobs["Fake.Pop"]["env_key"]
    tuning = [rows for sec, rows in page.tables if sec == anchor("synthetic-tiny") + "-tuning"]
    search = json.loads(next(tree.glob("synthetic-tiny-*/Fake.ItemCF-search-*/search.json")).read_text())
    assert any(["Search space", json.dumps(search["space"], sort_keys=True)] in rows for rows in tuning)
    runners = page.table("provenance")
    fake = next(r for r in runners[1:] if r[0] == "Fake")
    assert fake[1] == jobs["Fake.Pop"]["versions"]["framework_version"]
    assert fake[2] == jobs["Fake.Pop"]["versions"]["python"] and fake[4] == jobs["Fake.Pop"]["env_key"]
    failures = page.table("failures")
    assert failures[1][:2] == ["synth", "Fake.Random"] and failures[1][4] == "fit"
    assert "RuntimeError: injected failure in fit" in failures[1][5]


def test_derived_run_file_rebuilds_the_same_dataset_and_plan(tree: Path, tmp_path: Path) -> None:
    rec = json.loads(next(tree.glob("synthetic-tiny-*/dataset.json")).read_text())
    runs = [json.loads(p.read_text()) for p in sorted((tree / "runs").glob("*.json"))]
    run = next(r for r in runs if r["plan"]["name"] == "report-tuned")
    text, why = derive_run_file(rec, run)
    assert text is not None and why == ""
    path = tmp_path / "again.toml"
    path.write_text(text)
    rf = load_run_file(path)
    seed = get_random_state()
    try:
        ds = rf.build_dataset()
        assert dataset_key(ds) == rec["key"]
    finally:
        set_random_state(seed)
    assert rf.plan.to_dict() == run["plan"] and rf.metrics == run["metrics"]
    # A dataset made from a DataFrame has no name a run file could load it by.
    other = json.loads(next(tree.glob("synth-*/dataset.json")).read_text())
    grid = next(r for r in runs if r["plan"]["name"] == "report-grid")
    text, why = derive_run_file(other, grid)
    assert text is None and "not loaded by name" in why
    # A step whose recorded parameters do not rebuild it is refused, not guessed.
    bad = {
        **rec,
        "lineage": [{**rec["lineage"][0], "params": {"threshold": 3, "bogus": 1}}, *rec["lineage"][1:]],
    }
    assert derive_run_file(bad, run)[0] is None


def test_markdown_report_writes_the_plots_beside_it(tree: Path, tmp_path: Path) -> None:
    out = build(tree, tmp_path / "paper" / "report.md", format="markdown", baseline=BASELINE, metric=METRIC)
    text = out.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    files = sorted((tmp_path / "paper" / "report_files").iterdir())
    assert len(images) == len(files) == 13
    for rel in images:
        assert (out.parent / rel).is_file() and ET.fromstring((out.parent / rel).read_bytes()).tag.endswith(
            "svg"
        )
    assert "| Fake.Pop |" in text and "```toml" in text and "injected failure in fit" in text


def test_a_tree_from_an_older_run_still_reports_what_it_has(tree: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(tree, old)
    shutil.rmtree(old / "runs")
    for p in old.glob("*/dataset.json"):
        p.unlink()
    text = build(old, tmp_path / "old.html").read_text()
    assert "No dataset record" in text and "No run record" in text
    kinds = [img["data-plot"] for img in Page(text).images]
    assert "dataset" not in kinds and kinds.count("significance") == 2


# ---- the command and bad input -------------------------------------------------------------


def test_cli_writes_the_report_and_says_where(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(tree), "-o", str(out), "--compare", BASELINE])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"wrote {out.resolve()} (") and out.is_file()
    md = CliRunner().invoke(main, ["report", str(tree), "-o", str(tmp_path / "r.md"), "--format", "markdown"])
    assert md.exit_code == 0 and (tmp_path / "r_files").is_dir()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "NDCG@99"], "no results for metric 'NDCG@99'"),
        (["--metric", "NDCG"], "name one"),
        (["--compare", "Nope.Algo"], "no results for baseline 'Nope.Algo'"),
        (["--alpha", "2"], "alpha must be between 0 and 1"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    tree: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    res = CliRunner().invoke(main, ["report", str(tree), "-o", str(tmp_path / "r.html"), *args])
    assert res.exit_code == 2 and message in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r.html").exists()


def test_not_a_checkpoint_tree_is_one_line_and_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "no evaluated jobs under" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["report", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "does not exist" in res.output
    with pytest.raises(ReportError, match="is not a directory"):
        build(tmp_path / "missing")


def test_missing_extra_says_how_to_install_it(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "matplotlib":
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    res = CliRunner().invoke(main, ["report", str(tree), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and "pip install 'omnirec-core[report]'" in res.output
    assert "Traceback" not in res.output


def test_rating_metric_lower_is_better_and_no_cutoffs(tmp_path: Path) -> None:
    from omnirec_core import RMSE, Evaluator, ExperimentPlan, RecSysDataSet, UserHoldout
    from omnirec_core.data.synthetic import generate
    from tests.support import experiment

    ds = UserHoldout(0.2).process(RecSysDataSet.from_dataframe(generate(80, 50, 1500, seed=2), name="rated"))
    plan = ExperimentPlan("rated")
    plan.add_algorithm("Fake.Pop")
    plan.add_algorithm("Fake.Random")
    experiment.run(tmp_path / "ck", ds, plan, Evaluator(RMSE()))
    out = build(tmp_path / "ck", tmp_path / "r.html")
    page = Page(out.read_text())
    data = page.data()
    assert data["metric"] == "RMSE" and data["higher_is_better"] is False
    assert "no curve over k" in out.read_text()
    kinds = sorted(img["data-plot"] for img in page.images)
    assert kinds == ["cost", "dataset", "distribution", "significance"]
    m = data["datasets"]["rated"]["pairwise"]
    means = {b["row"]: b["mean"] for b in data["datasets"]["rated"]["distributions"]}
    _, colour = plots.significance_colours(m, higher_is_better=False)
    lower_rmse = 0 if means[m["rows"][0]] < means[m["rows"][1]] else 1
    # Blue (positive) where the row is better: for RMSE, the row with the lower error.
    assert colour[lower_rmse, 1 - lower_rmse] > 0 > colour[1 - lower_rmse, lower_rmse]
    assert m["t_p"][0][1] < 0.05  # popularity and random scores differ
