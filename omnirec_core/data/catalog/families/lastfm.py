"""Last.fm 1K and 360K users (Celma), tab-separated members of tar.gz archives, no header.

1K: ``userid, timestamp (ISO 8601, UTC), artist MBID, artist name, track MBID, track
name``, one listening event per line (19,150,868 lines, 992 users). 360K: ``user sha1,
artist MBID, artist name, plays``. Many tracks and artists have no MusicBrainz id, so
an item is its MBID where there is one and otherwise its name (artist, then track).
Names may contain quotes: quoting is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.tables import Col, Layout, read_table

BASE = "http://mtg.upf.edu/static/datasets/last.fm/"
LICENCE = (
    "Distributed with permission of Last.fm for non-commercial use only (see the archive's "
    "README and the Last.fm terms of service)."
)
CITATION = """@book{celma2010music,
  title={Music Recommendation and Discovery in the Long Tail},
  author={Celma, {\\`O}scar},
  publisher={Springer},
  year={2010}
}"""
ONE_K = RemoteFile("lastfm-dataset-1K.tar.gz", (BASE + "lastfm-dataset-1K.tar.gz",))
THREE_SIXTY_K = RemoteFile("lastfm-dataset-360K.tar.gz", (BASE + "lastfm-dataset-360K.tar.gz",))

EVENTS = Layout(
    (
        Col(0, "user", "id"),
        Col(1, "timestamp", "time", "%Y-%m-%dT%H:%M:%SZ"),
        Col(2, "artist_mbid", "str", required=False),
        Col(3, "artist", "str", required=False),
        Col(4, "track_mbid", "str", required=False),
        Col(5, "track", "str", required=False),
    ),
    sep="\t",
    header=False,
    quote=None,
)
PLAYS = Layout(
    (
        Col(0, "user", "id"),
        Col(1, "artist_mbid", "str", required=False),
        Col(2, "artist", "str", required=False),
    ),
    sep="\t",
    header=False,
    quote=None,
)


def _named(mbid: pd.Series, *names: pd.Series) -> pd.Series:
    """The MBID where present, else the names joined by a tab (``None`` if all missing)."""
    fallback = names[0].astype(object)
    for more in names[1:]:
        fallback = fallback.str.cat(more.astype(object), sep="\t")
    return mbid.astype(object).where(mbid.notna(), fallback)


def _items(df: pd.DataFrame, item: pd.Series, columns: list[str]) -> pd.DataFrame:
    out = df[columns].copy()
    out["item"] = item
    missing = out["item"].isna()
    if missing.any():
        from omnirec_core.errors import DataError

        raise DataError(
            f"{int(missing.sum())} events have neither a MusicBrainz id nor a name; the file is damaged"
        )
    return out


def read_events(paths: Mapping[str, Path]) -> pd.DataFrame:
    member = Member(
        paths[ONE_K.filename], "lastfm-dataset-1K/userid-timestamp-artid-artname-traid-traname.tsv"
    )
    df = read_table(member, EVENTS)
    item = _named(df["track_mbid"], df["artist"], df["track"])
    return _items(df, item, ["user", "timestamp"])


def read_plays(paths: Mapping[str, Path]) -> pd.DataFrame:
    member = Member(paths[THREE_SIXTY_K.filename], "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv")
    df = read_table(member, PLAYS)
    return _items(df, _named(df["artist_mbid"], df["artist"]), ["user"])


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="lastfm-1k",
        family="lastfm",
        files=(ONE_K,),
        parser=read_events,
        description="Last.fm 1K: full listening histories of 992 users until May 2009 (user-track events).",
        feedback="implicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION,
        homepage="http://ocelma.net/MusicRecommendationDataset/lastfm-1K.html",
        aliases=("LastFM1K", "lastfm1k"),
        size="19.2M",
        expected={"users": 992},
        notes=(
            "No published checksum of the archive: first use. The README gives the MD5 of the "
            "events member (64747b21563e3d2aa95751e0ddc46b68) and 19,150,868 lines, 992 users. "
            "Repeated listens of a track collapse to the latest."
        ),
    ),
    CatalogEntry(
        name="lastfm-360k",
        family="lastfm",
        files=(THREE_SIXTY_K,),
        parser=read_plays,
        description="Last.fm 360K: each user's top artists (user-artist pairs; play counts dropped).",
        feedback="implicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="http://ocelma.net/MusicRecommendationDataset/lastfm-360K.html",
        aliases=("LastFM360K", "lastfm360k"),
        notes=(
            "No published checksum of the archive: first use. The README gives the MD5 of the "
            "member (be672526eb7c69495c27ad27803148f1). Statistics not verified, so not listed."
        ),
    ),
)


__all__ = ["ENTRIES", "read_events", "read_plays"]
