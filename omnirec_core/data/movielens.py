"""The MovieLens family from GroupLens: official archives, checksums and parsers.

Each release is one zip at https://files.grouplens.org/datasets/movielens/. SHA-256
values and sizes come from tensorflow-datasets' ``url_checksums/movielens.txt``
(100K, 1M, 20M, 25M, latest-small); ML-10M's from a public pin of the same archive that
also records GroupLens' own published MD5 (``ml-10m.zip.md5``). MovieLens-100K has a
second source: the copy inside the RecBole 1.2.1 wheel on PyPI.

The archives hold three layouts, each parsed in one vectorised ``read_csv`` call:
``u.data`` (tab separated, no header), ``ratings.dat`` (``::`` separated, no header) and
``ratings.csv`` (comma separated, header ``userId,movieId,rating,timestamp``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import pandas as pd

from omnirec_core.data.download import Source, UrlSource, WheelMemberSource, fetch_first
from omnirec_core.errors import DataError
from omnirec_core.plugin.specs import DatasetSpec

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
LICENCE = (
    "MovieLens data is provided by GroupLens for research use under the terms in its "
    "README (no redistribution, cite Harper & Konstan 2015)."
)
CITATION = """@article{harper2015movielens,
  title={The MovieLens Datasets: History and Context},
  author={Harper, F. Maxwell and Konstan, Joseph A.},
  journal={ACM Transactions on Interactive Intelligent Systems (TiiS)},
  volume={5},
  number={4},
  pages={19:1--19:19},
  year={2015}
}"""
# (users, items, ratings) of each release's ratings file, as its description states them.
EXPECTED: dict[str, tuple[int, int, int]] = {
    "movielens-100k": (943, 1_682, 100_000),
    "movielens-1m": (6_040, 3_706, 1_000_209),
    "movielens-10m": (69_878, 10_677, 10_000_054),
    "movielens-20m": (138_493, 26_744, 20_000_263),
    "movielens-25m": (162_541, 59_047, 25_000_095),
    "movielens-latest-small": (610, 9_724, 100_836),
}
Layout = Literal["udata", "dat", "csv"]
COLUMNS = ["user", "item", "rating", "timestamp"]
# Small ids and float32 ratings (multiples of 0.5, exact) halve memory on ML-25M;
# canonicalisation widens them to int64 / float64.
_DTYPES = {"user": "int32", "item": "int32", "rating": "float32", "timestamp": "int64"}

# ML-100K inside the RecBole 1.2.1 wheel; sha256 and size computed once from that wheel.
RECBOLE_ML100K = WheelMemberSource(
    requirement="recbole==1.2.1",
    member="recbole/dataset_example/ml-100k/ml-100k.inter",
    filename="ml-100k.inter",
    sha256="4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    size=1_979_230,
)


def read_udata(fh: IO[bytes] | str | Path) -> pd.DataFrame:
    """ML-100K ``u.data``: ``user<TAB>item<TAB>rating<TAB>timestamp``, no header."""
    return pd.read_csv(fh, sep="\t", header=None, names=COLUMNS, dtype=_DTYPES)


def read_dat(fh: IO[bytes] | str | Path) -> pd.DataFrame:
    """ML-1M / ML-10M ``ratings.dat``: ``user::item::rating::timestamp``, no header."""
    # A one-character separator keeps pandas' fast C parser ("::" would force the slow
    # Python engine); the empty fields between the colons are the odd columns.
    df = pd.read_csv(
        fh,
        sep=":",
        header=None,
        usecols=[0, 2, 4, 6],
        dtype={0: "int32", 2: "int32", 4: "float32", 6: "int64"},
    )
    df.columns = COLUMNS
    return df


def read_ratings_csv(fh: IO[bytes] | str | Path) -> pd.DataFrame:
    """ML-20M / ML-25M / latest ``ratings.csv`` with header ``userId,movieId,rating,timestamp``."""
    df = pd.read_csv(
        fh, dtype={"userId": "int32", "movieId": "int32", "rating": "float32", "timestamp": "int64"}
    )
    return df.rename(columns={"userId": "user", "movieId": "item"})[COLUMNS]


def read_recbole_inter(fh: IO[bytes] | str | Path) -> pd.DataFrame:
    """RecBole atomic ``.inter`` file: tab separated, header ``user_id:token item_id:token ...``."""
    df = pd.read_csv(fh, sep="\t")
    df.columns = [str(c).split(":", 1)[0] for c in df.columns]
    df = df.rename(columns={"user_id": "user", "item_id": "item"})
    # Same dtypes as the GroupLens files, so both sources canonicalise identically.
    return df[COLUMNS].astype(_DTYPES)


READERS = {"udata": read_udata, "dat": read_dat, "csv": read_ratings_csv}


@dataclass(frozen=True)
class MovieLensRelease:
    """One MovieLens archive: where it is, how it is checked, where its ratings are."""

    name: str
    archive: str
    member: str
    layout: Layout
    sha256: str | None
    size: int | None
    description: str
    size_text: str
    aliases: tuple[str, ...] = ()
    mirrors: tuple[Source, ...] = ()
    base_url: str = GROUPLENS

    @property
    def url(self) -> str:
        return self.base_url + self.archive

    def sources(self) -> tuple[Source, ...]:
        """The official archive first, then any mirrors."""
        return (UrlSource(self.url, self.archive, self.sha256, self.size), *self.mirrors)

    def load(self, data_dir: Path, force_download: bool = False) -> pd.DataFrame:
        """Fetch (if needed) and parse the ratings; original MovieLens ids."""
        path = fetch_first(self.sources(), data_dir, force=force_download, what=self.name)
        df = self.parse(path)
        # Which file was read and its published checksum: the dataset's record of origin.
        used = next(s for s in self.sources() if s.filename == path.name)
        df.attrs["source_files"] = [
            {
                "file": path.name,
                "from": used.describe(),
                "sha256": getattr(used, "sha256", None),
                "check": "pinned",
            }
        ]
        return df

    def parse(self, path: Path) -> pd.DataFrame:
        """Parse a downloaded archive (or the RecBole ``.inter`` copy) into a rating table."""
        try:
            if path.suffix == ".inter":
                return read_recbole_inter(path)
            with zipfile.ZipFile(path) as zf, zf.open(self.member) as fh:
                return READERS[self.layout](fh)
        except KeyError:
            raise DataError(f"{path} has no {self.member}; delete it and download again") from None
        except (zipfile.BadZipFile, ValueError, pd.errors.ParserError) as exc:
            raise DataError(
                f"{path} could not be parsed as {self.name} ({type(exc).__name__}: {exc}); "
                "delete it and download again"
            ) from None

    def spec(self) -> DatasetSpec:
        counts = EXPECTED.get(self.name)
        return DatasetSpec(
            name=self.name,
            load=self.load,
            description=self.description,
            source=self.url,
            size=self.size_text,
            feedback="explicit",
            licence_note=LICENCE,
            aliases=self.aliases,
            family="movielens",
            citation=CITATION,
            timestamps=True,
            integrity="pinned" if self.sha256 else "first-use",
            urls=tuple(s.url for s in self.sources() if isinstance(s, UrlSource)),
            expected=dict(zip(("users", "items", "interactions"), counts)) if counts else {},
        )


RELEASES: tuple[MovieLensRelease, ...] = (
    MovieLensRelease(
        "movielens-100k",
        "ml-100k.zip",
        "ml-100k/u.data",
        "udata",
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        4_924_029,
        "MovieLens 100K: ratings 1-5 from 943 users on 1,682 movies (1998).",
        "100K",
        ("ml-100k", "MovieLens100K"),
        (RECBOLE_ML100K,),
    ),
    MovieLensRelease(
        "movielens-1m",
        "ml-1m.zip",
        "ml-1m/ratings.dat",
        "dat",
        "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        5_917_549,
        "MovieLens 1M: ratings 1-5 from 6,040 users on 3,706 movies (2003).",
        "1M",
        ("ml-1m", "MovieLens1M"),
    ),
    MovieLensRelease(
        "movielens-10m",
        "ml-10m.zip",
        "ml-10M100K/ratings.dat",
        "dat",
        "813c411ccb6122564edfe752e7f80c4dcc5aa25fa94c93622f6877a7ba252862",
        65_566_137,
        "MovieLens 10M: half-star ratings from 69,878 users on 10,677 movies (2009).",
        "10M",
        ("ml-10m", "MovieLens10M"),
    ),
    MovieLensRelease(
        "movielens-20m",
        "ml-20m.zip",
        "ml-20m/ratings.csv",
        "csv",
        "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
        198_702_078,
        "MovieLens 20M: half-star ratings from 138,493 users on 26,744 movies (2015).",
        "20M",
        ("ml-20m", "MovieLens20M"),
    ),
    MovieLensRelease(
        "movielens-25m",
        "ml-25m.zip",
        "ml-25m/ratings.csv",
        "csv",
        "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
        261_978_986,
        "MovieLens 25M: half-star ratings from 162,541 users on 59,047 movies (2019).",
        "25M",
        ("ml-25m", "MovieLens25M"),
    ),
    MovieLensRelease(
        "movielens-latest-small",
        "ml-latest-small.zip",
        "ml-latest-small/ratings.csv",
        "csv",
        "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        978_202,
        "MovieLens latest-small: half-star ratings from 610 users on 9,724 movies (2018).",
        "101K",
        ("ml-latest-small", "MovieLensLatestSmall"),
    ),
)


def release(name: str) -> MovieLensRelease:
    """The release called ``name`` (or one of its aliases)."""
    for r in RELEASES:
        if name == r.name or name in r.aliases:
            return r
    raise KeyError(name)


__all__ = [
    "GROUPLENS",
    "RECBOLE_ML100K",
    "RELEASES",
    "MovieLensRelease",
    "read_dat",
    "read_ratings_csv",
    "read_recbole_inter",
    "read_udata",
    "release",
]
