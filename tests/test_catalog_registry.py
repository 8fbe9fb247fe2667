"""The catalogue as users meet it: names that resolve, complete metadata, the CLI,
the generated docs, loading your own files, and the documented dataset plugin."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnirec_core.cli import main
from omnirec_core.data import RecSysDataSet
from omnirec_core.data.catalog import entries, entry
from omnirec_core.errors import DataError
from omnirec_core.plugin import manager as plugins
from tests import test_registry

# The local HTTP server (a stand-in for a dataset's host) of the registry tests.
Served, server = test_registry.Served, test_registry.server

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "catalog"
OMNIREC_NAMES = [
    line.strip()
    for line in (DATA / "omnirec_names.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def _builtin() -> dict:
    return {k: p.spec for k, p in plugins.PluginManager(load_entry_points=False).datasets().items()}


# ---- names ---------------------------------------------------------------------------------
def test_every_omnirec_dataset_name_resolves() -> None:
    assert len(OMNIREC_NAMES) == 189
    unresolved = []
    for name in OMNIREC_NAMES:
        try:
            plugins.get_dataset(name)
        except Exception:
            unresolved.append(name)
    assert unresolved == []


def test_the_catalogue_holds_more_datasets_than_omnirec_registers() -> None:
    specs = _builtin()
    assert len(specs) >= 161 + 100  # OmniRec's 161 names, and the families beyond them
    families = {s.family for s in specs.values()}
    for family in (
        "amazon2014",
        "amazon2018",
        "amazon2023",
        "hetrec2011",
        "lastfm",
        "yelp",
        "gowalla",
        "goodreads",
    ):
        assert family in families
    amazon = {
        f: sum(s.family == f for s in specs.values()) for f in ("amazon2014", "amazon2018", "amazon2023")
    }
    assert amazon == {"amazon2014": 48, "amazon2018": 58, "amazon2023": 34}


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("Amazon2018Books", "amazon2018-books"),
        ("amazon-books-18", "amazon2018-books"),
        ("amazon-books", "amazon2014-books"),
        ("HetrecLastFM", "hetrec-lastfm-tags"),
        ("lastfm", "hetrec-lastfm"),
        ("GoogleLocal2021DistrictofColumbia", "google-local-2021-district-of-columbia"),
        ("Yelp2018", "yelp-2018"),
        ("MovieLens1BSynthetic", "movielens-1b-synthetic"),
        ("retailrocket-view-not-merged", "retailrocket-view"),
        ("AMAZON2018-BOOKS", "amazon2018-books"),
    ],
)
def test_aliases_users_know(alias: str, name: str) -> None:
    assert plugins.get_dataset(alias).name == name


def test_names_and_aliases_are_unique_across_all_datasets() -> None:
    seen: dict[str, str] = {}
    for spec in _builtin().values():
        for key in {spec.name.lower(), *(a.lower() for a in spec.aliases)}:
            assert seen.setdefault(key, spec.name) == spec.name, f"{key} used by {seen[key]} and {spec.name}"


# ---- metadata --------------------------------------------------------------------------------
def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize(
    "spec", [s for s in _builtin().values() if s.family != "synthetic"], ids=lambda s: s.name
)
def test_every_dataset_has_source_licence_citation_and_feedback(spec) -> None:
    assert spec.description and spec.source
    assert spec.licence_note, "licence or terms missing"
    assert spec.citation.startswith("@") and _balanced(spec.citation), "citation must be BibTeX"
    assert re.match(r"@\w+\{[\w-]+,", spec.citation)
    assert spec.feedback in ("implicit", "explicit")
    assert spec.timestamps in (True, False)
    assert spec.integrity in ("pinned", "first-use", "partly-pinned")
    assert all(u.startswith(("http://", "https://")) for u in spec.urls)
    assert set(spec.expected) <= {"users", "items", "interactions"}
    assert all(v > 0 for v in spec.expected.values())
    if "interactions" in spec.expected:
        assert spec.size
    if spec.manual:
        assert (
            "folder named below" in spec.licence_note
            or "Put the files" in spec.licence_note
            or spec.family == "netflix"
        )


def test_pins_are_sha256_and_say_who_published_them() -> None:
    for e in entries():
        for f in e.files:
            if f.sha256 is not None:
                assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), e.name
                assert f.pin_source, e.name
            assert f.manual or f.urls, e.name
    pinned = sum(e.integrity == "pinned" for e in entries())
    first_use = sum(e.integrity == "first-use" for e in entries())
    assert pinned > 150 and first_use > 50


def test_omnirec_pins_agree_with_ours_where_both_exist() -> None:
    """OmniRec hashed the MovieLens archives too: the same SHA-256 as tensorflow-datasets'."""
    from omnirec_core.data.movielens import release

    assert (
        release("movielens-20m").sha256 == "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3"
    )


# ---- docs --------------------------------------------------------------------------------------
def _generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_dataset_docs", ROOT / "scripts" / "gen_dataset_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_docs_list_the_catalogue_as_the_registry_has_it() -> None:
    gen = _generator()
    text = gen.DOC.read_text(encoding="utf-8")
    assert gen.updated(text) == text, (
        "docs/datasets.md is out of date: run python scripts/gen_dataset_docs.py"
    )
    for spec in _builtin().values():
        assert f"| `{spec.name}` |" in text
        if spec.citation:
            assert spec.citation in text


def test_docs_plugin_example_registers_a_family_that_loads(tmp_path: Path, server: Served) -> None:
    text = (ROOT / "docs" / "datasets.md").read_text(encoding="utf-8")
    block = text.split("<!-- plugin-example:start -->")[1].split("<!-- plugin-example:end -->")[0]
    code = block.split("```python")[1].split("```")[0]
    assert len(code.strip().splitlines()) <= 35  # a short plugin, as the guide promises
    module = types.ModuleType("omnirec_plays_plugin")
    exec(compile(code, "docs/datasets.md", "exec"), module.__dict__)

    plays = b"u1\tartist-a\t1600000000\nu2\tartist-a\t1600000100\n"
    (server.root / "plays-us.tsv.gz").write_bytes(gzip.compress(plays))
    module.BASE = server.url
    pm = plugins.PluginManager(load_entry_points=False)
    pm.register(module, "plays", "omnirec-plays")
    plugins.reset_plugins(pm)
    try:
        specs = {s.name: s for s in module.omnirec_datasets()}
        assert (specs["plays-eu"].integrity, specs["plays-us"].integrity) == ("pinned", "first-use")
        ds = RecSysDataSet.use_dataloader("plays-us", raw_dir=tmp_path / "raw")
        assert (ds.n_users, ds.n_items, ds.num_interactions()) == (2, 1, 2)
        assert ds.feedback == "implicit"
    finally:
        plugins.reset_plugins()


# ---- your own files ------------------------------------------------------------------------
def test_your_file_in_a_known_layout() -> None:
    ds = RecSysDataSet.from_file(DATA / "amazon2023" / "Books.csv", like="Amazon2023Books")
    # amazon2023 reads gzipped files, and plain ones alike.
    assert (ds.name, ds.n_users, ds.n_items, ds.num_interactions()) == ("Books", 2, 2, 3)
    assert ds.meta["parse_reports"][0]["lines"] == 3


def test_your_files_for_a_dataset_of_several(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    monkeypatch.setenv("OMNIREC_MAX_BAD_LINES", "0.5")  # the fixture has one bad impression
    paths = {}
    for part in ("train", "dev"):
        paths[f"MINDsmall_{part}.zip"] = tmp_path / f"{part}.zip"
        with zipfile.ZipFile(paths[f"MINDsmall_{part}.zip"], "w") as zf:
            zf.write(DATA / "mind" / part / "behaviors.tsv", "behaviors.tsv")
    with pytest.raises(DataError, match=r"read from 2 files \(MINDsmall_train.zip, MINDsmall_dev.zip\)"):
        RecSysDataSet.from_file(tmp_path / "train.zip", like="mind-small")
    ds = RecSysDataSet.from_file(paths, like="mind-small", name="news")
    assert ds.name == "news" and ds.num_interactions() == 4


def test_your_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"no catalogue dataset 'amazon2018-boks'.*Did you mean 'amazon2018-books'"
    ):
        RecSysDataSet.from_file(tmp_path / "x.csv", like="amazon2018-boks")
    with pytest.raises(DataError, match="no such file"):
        RecSysDataSet.from_file(tmp_path / "x.csv", like="amazon2018-books")


# ---- command line ------------------------------------------------------------------------------
def _run(*args: str) -> str:
    res = CliRunner().invoke(main, list(args), env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    return res.output


def test_datasets_filters(tmp_path: Path) -> None:
    out = _run("datasets", "--family", "amazon2023", "--data-dir", str(tmp_path))
    assert "34 of" in out and "amazon2023-books" in out and "amazon2018-books" not in out
    out = _run("datasets", "--search", "goodreads poetry", "--data-dir", str(tmp_path))
    assert "goodreads-poetry" in out and "goodreads-romance" not in out
    out = _run("datasets", "--family", "retailrocket", "--feedback", "explicit", "--data-dir", str(tmp_path))
    assert "0 of" in out and "no dataset matches" in out
    out = _run("datasets", "--search", "yelp", "--data-dir", str(tmp_path))
    assert re.search(r"yelp-2022 .*first use, manual .*\bno\b", out)
    out = _run("datasets", "--family", "hetrec2011", "--data-dir", str(tmp_path))
    assert re.search(r"hetrec-lastfm .*pinned", out) and re.search(r"hetrec-delicious .*first use", out)


def test_datasets_shows_what_is_on_disk(tmp_path: Path) -> None:
    (tmp_path / "yahoo-r3").mkdir()
    (tmp_path / "yahoo-r3" / "ydata-ymusic-rating-study-v1_0-train.txt").write_text("1\t1\t5\n")
    out = _run("datasets", "--family", "yahoo-r3", "--data-dir", str(tmp_path))
    assert re.search(r"yahoo-r3 .*\byes\b", out) and re.search(r"yahoo-r3-random .*\bno\b", out)


def test_data_info_prints_source_licence_citation_and_statistics(tmp_path: Path) -> None:
    out = _run("data", "info", "Amazon2018Books", "--data-dir", str(tmp_path))
    assert "amazon2018-books  (also: Amazon2018Books, amazon-books-18)" in out
    assert "15,362,619 users, 2,930,451 items, 51,311,621 interactions" in out
    assert "Books.csv: https://mcauleylab.ucsd.edu/" in out and "sha256 2ff13d97" in out
    assert "Licence / terms: No licence is stated" in out
    assert "@inproceedings{ni2019justifying," in out
    info = json.loads(_run("data", "info", "yelp-2022", "--json", "--data-dir", str(tmp_path)))
    assert info["files"] == [
        {
            "file": "yelp_academic_dataset_review.json",
            "urls": [],
            "sha256": None,
            "pin_source": "",
            "manual": True,
        }
    ]
    assert info["checks"] == "first use, manual" and info["on_disk"] is False


def test_data_info_shows_first_use_records(tmp_path: Path) -> None:
    load_dir = tmp_path / "yahoo-r3"
    load_dir.mkdir()
    (load_dir / "ydata-ymusic-rating-study-v1_0-train.txt").write_text("1\t1\t5\n2\t1\t4\n")
    RecSysDataSet.use_dataloader("yahoo-r3", data_dir=tmp_path)
    out = _run("data", "info", "yahoo-r3", "--data-dir", str(tmp_path))
    assert re.search(r"recorded ydata-ymusic-rating-study-v1_0-train.txt: 12 bytes, sha256 [0-9a-f]{64}", out)


def test_data_info_of_an_unknown_dataset_is_one_line() -> None:
    res = CliRunner().invoke(main, ["data", "info", "amazon2018-boks"])
    assert res.exit_code == 2 and "Did you mean 'amazon2018-books'" in res.output
    assert "Traceback" not in res.output


@pytest.fixture(autouse=True)
def _fresh_plugins() -> Iterator[None]:
    plugins.reset_plugins()
    yield
    plugins.reset_plugins()


def test_catalogue_entry_lookup_is_case_insensitive() -> None:
    assert entry("GOODREADS-POETRY").name == "goodreads-poetry"
