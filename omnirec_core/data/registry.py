"""The built-in datasets and the loader behind ``RecSysDataSet.use_dataloader``.

Built-ins: the MovieLens family (downloaded, checksummed), the Netflix Prize data (a
manual download because of its licence), the synthetic generator and the dataset
catalogue (:mod:`omnirec_core.data.catalog`: Amazon, Yelp, Goodreads, ...). Any plugin's
dataset loads the same way: its ``DatasetSpec.load(raw_dir, force_download)`` returns
interactions in original ids, which are canonicalised once and cached as an omnirec
dataset file beside the raw files.

A loader that raises :class:`FileNotFoundError` is taken to need files the user must
fetch by hand; the error shown then carries the dataset's ``licence_note`` (where to get
them) and the folder to put them in. That is all a third-party plugin needs for a
dataset that cannot be downloaded automatically.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from omnirec_core.data import catalog
from omnirec_core.data.catalog.entry import RemoteFile, obtain
from omnirec_core.data.download import quiet_downloads
from omnirec_core.data.fileformat import load_dataset, save_dataset
from omnirec_core.data.model import DatasetFields, RawData, canonical_fields
from omnirec_core.data.movielens import RELEASES
from omnirec_core.data.paths import CANONICAL_VERSION, canonical_path, dataset_dir, has_raw_files
from omnirec_core.data.synthetic import SYNTHETIC_SIZES, generate_preset
from omnirec_core.errors import DataError, DownloadError
from omnirec_core.plugin.manager import get_dataset
from omnirec_core.plugin.specs import DatasetSpec

log = logging.getLogger(__name__)

# ---- Netflix Prize: licence forbids redistribution, so the user fetches it ------------
NETFLIX_FILES = tuple(f"combined_data_{i}.txt" for i in range(1, 5))
NETFLIX_NOTE = (
    "Netflix no longer distributes the Netflix Prize data; a copy is on Kaggle at "
    "https://www.kaggle.com/datasets/netflix-inc/netflix-prize-data (sign in, accept its "
    "terms: non-commercial research only). Download it and unpack " + ", ".join(NETFLIX_FILES) + "."
)


def read_netflix(path: str | PathLike[str]) -> pd.DataFrame:
    """One ``combined_data_N.txt``: ``MovieID:`` lines, each followed by ``user,rating,date``."""
    df = pd.read_csv(
        path,
        header=None,
        names=["user", "rating", "date"],
        dtype={"user": str, "rating": "float32", "date": str},
    )
    # Movie header lines have no rating; their id applies to every row below them.
    header = df["rating"].isna().to_numpy()
    if len(df) and not header[0]:
        raise DataError(f"{path} does not start with a 'MovieID:' line; is it a Netflix Prize file?")
    movie = df["user"].where(header).str.rstrip(":").ffill()
    rows = ~header
    try:
        return pd.DataFrame(
            {
                "user": df["user"].to_numpy()[rows].astype("int64"),
                "item": movie.to_numpy()[rows].astype("int64"),
                "rating": df["rating"].to_numpy()[rows],
                "timestamp": pd.to_datetime(df["date"][rows], format="%Y-%m-%d"),
            }
        )
    except ValueError as exc:
        raise DataError(f"{path} is not in the Netflix Prize format ({exc})") from None


def load_netflix(data_dir: Path, force_download: bool = False) -> pd.DataFrame:
    """Read the four Netflix Prize files the user placed in ``data_dir``.

    Each is recorded in the directory's lock file on first use (trust on first use).
    """
    for name in NETFLIX_FILES:
        if not (Path(data_dir) / name).is_file():
            raise FileNotFoundError(errno.ENOENT, "Netflix Prize file missing", str(Path(data_dir) / name))
    paths = [obtain(RemoteFile(n), Path(data_dir), what="netflix-prize") for n in NETFLIX_FILES]
    return pd.concat([read_netflix(p) for p in paths], ignore_index=True)


NETFLIX = DatasetSpec(
    name="netflix-prize",
    load=load_netflix,
    description="Netflix Prize training data: ratings 1-5 from 480,189 users on 17,770 movies.",
    source="https://www.kaggle.com/datasets/netflix-inc/netflix-prize-data (manual)",
    size="100M",
    feedback="explicit",
    licence_note=NETFLIX_NOTE,
    aliases=("netflix", "Netflix"),
    family="netflix",
    citation="""@inproceedings{bennett2007netflix,
  title={The Netflix Prize},
  author={Bennett, James and Lanning, Stan},
  booktitle={Proceedings of KDD Cup and Workshop 2007},
  year={2007}
}""",
    timestamps=True,
    integrity="first-use",
    manual=True,
    expected={"users": 480_189, "items": 17_770, "interactions": 100_480_507},
    notes="Manual download; each file is recorded on first use.",
)


# ---- synthetic data -------------------------------------------------------------------
SYNTHETIC_SOURCE = "generated locally"


SYNTHETIC_DEFAULT = "small"  # the preset plain "synthetic" means


def _short(n: int) -> str:
    """2000 -> '2K', 25_000_000 -> '25M' (rounded; for tables)."""
    for div, unit in ((10**6, "M"), (10**3, "K")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return str(n)


class _SyntheticLoader:
    """The loader of one synthetic preset (generated, never downloaded)."""

    def __init__(self, size: str) -> None:
        self.size = size

    def __call__(self, data_dir: Path, force_download: bool = False) -> pd.DataFrame:
        return generate_preset(self.size)


def _synthetic_specs() -> list[DatasetSpec]:
    specs = []
    for size, kw in SYNTHETIC_SIZES.items():
        default = size == SYNTHETIC_DEFAULT
        specs.append(
            DatasetSpec(
                name="synthetic" if default else f"synthetic-{size}",
                load=_SyntheticLoader(size),
                description=(
                    f"Synthetic interactions, preset {size!r}: {kw['n_users']:,} users, "
                    f"{kw['n_items']:,} items, {kw['n_interactions']:,} interactions."
                ),
                source=SYNTHETIC_SOURCE,
                size=_short(kw["n_interactions"]),
                feedback="explicit",
                aliases=(f"synthetic-{size}",) if default else (),
                family="synthetic",
                timestamps=True,
                licence_note="Generated locally by omnirec_core.data.synthetic; no terms apply.",
            )
        )
    return specs


def builtin_datasets() -> list[DatasetSpec]:
    """The datasets omnirec-core registers (see :mod:`omnirec_core.builtin.datasets`)."""
    return [
        *(r.spec() for r in RELEASES),
        NETFLIX,
        *_synthetic_specs(),
        *(e.spec() for e in catalog.entries()),
    ]


# ---- loading --------------------------------------------------------------------------
def _is_generated(spec: DatasetSpec) -> bool:
    return spec.source == SYNTHETIC_SOURCE


def is_downloaded(spec: DatasetSpec, root: str | PathLike[str] | None = None) -> bool | None:
    """Whether the dataset's raw files (or its cached canonical file) are on disk.

    ``None`` for generated datasets, which have nothing to download.
    """
    if _is_generated(spec):
        return None
    raw = dataset_dir(spec.name, root)
    return has_raw_files(raw) or canonical_path(spec.name, raw).is_file()


def _npz(path: Path) -> Path:
    # save() appends .npz; look for the cache where it will really be written.
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def _cached(path: Path, name: str) -> DatasetFields | None:
    if not path.is_file():
        return None
    try:
        ds = load_dataset(path)
    except DataError as exc:
        log.warning("ignoring unreadable cached dataset %s (%s); rebuilding it", path, exc)
        return None
    if ds.meta.get("dataset") != name or not isinstance(ds.data, RawData):
        raise DataError(
            f"{path} holds dataset {ds.meta.get('dataset', ds.name)!r} "
            f"({type(ds.data).__name__}), not the raw {name!r}; choose another canon_path "
            "or pass force_canonicalize=True to overwrite it"
        )
    if ds.meta.get("canonical_version") != CANONICAL_VERSION:
        return None
    return ds


def _run_loader(spec: DatasetSpec, raw: Path, force_download: bool) -> Any:
    try:
        return spec.load(raw, force_download)
    except FileNotFoundError as exc:
        missing = exc.filename or str(exc)
        note = spec.licence_note or "The dataset's plugin did not say where to get it."
        raise DownloadError(
            f"dataset {spec.name!r} needs a file omnirec cannot download for you: {missing} is "
            f"missing. {note} Put the files in {raw} and run again."
        ) from None


def _canonical(spec: DatasetSpec, loaded: Any) -> DatasetFields:
    if isinstance(loaded, pd.DataFrame):
        ds = canonical_fields(loaded, spec.name)
    elif all(hasattr(loaded, f) for f in ("data", "user_ids", "item_ids", "meta")):  # a RecSysDataSet
        if not isinstance(loaded.data, RawData):
            raise DataError(f"dataset {spec.name!r}: its loader returned split data, not raw")
        ds = DatasetFields(
            spec.name, loaded.data, loaded.user_ids, loaded.item_ids, list(loaded.lineage), dict(loaded.meta)
        )
    else:
        raise DataError(
            f"dataset {spec.name!r}: its loader returned {type(loaded).__name__}, not a pandas "
            "DataFrame of interactions; fix the plugin that provides it"
        )
    ds.meta.update(dataset=spec.name, source=spec.source, canonical_version=CANONICAL_VERSION)
    return ds


def load_registered(
    name: str,
    raw_dir: str | PathLike[str] | None = None,
    canon_path: str | PathLike[str] | None = None,
    force_download: bool = False,
    force_canonicalize: bool = False,
    *,
    data_dir: str | PathLike[str] | None = None,
    quiet: bool | None = None,
) -> DatasetFields:
    """Load a registered dataset in canonical form, downloading and caching as needed.

    ``raw_dir`` holds the raw files (default ``<data dir>/<name>``); ``canon_path`` the
    cached canonical file (default beside the raw files; generated datasets are not
    cached unless it is given). ``force_download`` fetches the raw files again and
    rebuilds the cache; ``force_canonicalize`` rebuilds the cache from the raw files.
    ``quiet`` hides download progress (default: shown on a terminal).
    """
    spec = get_dataset(name)
    raw = Path(raw_dir).expanduser() if raw_dir is not None else dataset_dir(spec.name, data_dir)
    canon: Path | None = None
    if canon_path is not None:
        canon = _npz(Path(canon_path).expanduser())
    elif not _is_generated(spec):
        canon = _npz(canonical_path(spec.name, raw))
    if canon is not None and not (force_download or force_canonicalize):
        cached = _cached(canon, spec.name)
        if cached is not None:
            return cached
    ctx = quiet_downloads(quiet) if quiet is not None else contextlib.nullcontext()
    with ctx:
        loaded = _run_loader(spec, raw, force_download)
    ds = _canonical(spec, loaded)
    if canon is not None:
        try:
            save_dataset(ds, canon)
        except OSError as exc:  # a read-only cache must not stop the experiment
            log.warning("could not cache canonical %s at %s: %s", spec.name, canon, exc)
    return ds


__all__ = [
    "NETFLIX",
    "builtin_datasets",
    "is_downloaded",
    "load_netflix",
    "load_registered",
    "read_netflix",
]
