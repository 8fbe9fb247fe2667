"""The report in a real browser: headless Chromium opens it offline, nothing fails, every plot
is drawn. Saves a screenshot (and the PDF print) as test artifacts.

Needs Chromium (``scripts/test.sh`` installs Debian's ``chromium`` when it runs as root
with apt; ``OMNIREC_CHROMIUM`` names another executable). Artifacts go to
``$OMNIREC_TEST_ARTIFACTS`` when set, else to the test's temporary directory.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from omnirec_core.random import get_random_state, set_random_state
from omnirec_core.report import build
from tests.support import report_tree
from tests.support.browser import Browser, find_chromium

pytestmark = pytest.mark.browser

#: The plots of the report of tests/support/report_tree.py: per dataset its activity
#: histograms, metric@k, per-user distribution, significance matrix and cost; the folded,
#: tuned dataset also its fold spread and the history and parameter plot of its one search
#: with more than one trial.
EXPECTED = Counter(
    {
        "dataset": 2,
        "metric-k": 2,
        "distribution": 2,
        "significance": 2,
        "cost": 2,
        "folds": 1,
        "search-history": 1,
        "search-params": 1,
    }
)


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.skip(
            "headless Chromium is not installed: scripts/test.sh installs Debian's chromium when run "
            "as root with apt (or set OMNIREC_CHROMIUM to a Chromium or Chrome executable)"
        )
    return exe


def artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("OMNIREC_TEST_ARTIFACTS") or tmp_path / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


def test_report_renders_offline_in_chromium_with_every_plot(chromium: str, tmp_path: Path) -> None:
    seed = get_random_state()
    try:
        tree = report_tree.make(tmp_path / "checkpoints")
    finally:
        set_random_state(seed)
    report = build(tree, tmp_path / "report.html", baseline="Fake.Pop", metric="NDCG@10")
    out = artifacts(tmp_path)
    with (
        Browser.start(tmp_path, chromium, width=1366, height=768) as browser,
        browser.open(report.as_uri()) as page,
    ):
        decoded = page.evaluate(
            "Promise.all(Array.from(document.images).map(i => i.decode().then(() => true, () => false)))"
        )
        images = page.evaluate(
            "Array.from(document.images).map(i => ({kind: i.dataset.plot, w: i.naturalWidth, "
            "h: i.naturalHeight, shown: i.getBoundingClientRect().width, alt: i.alt}))"
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        title = page.evaluate("document.title")
        headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        shot = page.screenshot(out / "report.png")
        top = page.screenshot(out / "report-top.png", full_page=False)
        pdf = page.pdf()
        errors, requests = list(page.errors), list(page.requests)
    (out / "report.pdf").write_bytes(pdf)
    print(f"report artifacts: {shot}, {top}, {out / 'report.pdf'}")
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert decoded == [True] * len(images)
    assert Counter(i["kind"] for i in images) == EXPECTED
    for img in images:
        assert img["w"] > 300 and img["h"] > 100 and img["shown"] > 300 and img["alt"], img
    assert overflow <= 0  # readable at laptop width: no sideways scrolling of the page
    assert title.startswith("omnirec report")
    assert headings[:2] == ["synth", "synthetic-tiny"] and "Failures" in headings
    assert shot.stat().st_size > 50_000 and pdf.startswith(b"%PDF") and len(pdf) > 50_000
