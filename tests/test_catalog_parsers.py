"""Every catalogue parser on fixture files written in its source's exact layout.

The fixtures under ``tests/data/catalog/`` hold the text of each file or archive member
(delimiter, header, quoting, encoding as the source writes them, plus the awkward rows
sources really have); the archives and compressed files around them (zip, tar.gz,
tar.bz2, gzip, bzip2) are built here, so each parser reads them exactly as it reads a
download: members streamed, nothing extracted.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import logging
import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from omnirec_core.data.catalog import entry
from omnirec_core.data.catalog.report import collecting
from omnirec_core.data.dataset import RecSysDataSet

DATA = Path(__file__).parent / "data" / "catalog"


def utc(text: str) -> int:
    """Epoch seconds of a UTC ``YYYY-MM-DD[ HH:MM:SS]``."""
    fmt = "%Y-%m-%d %H:%M:%S" if " " in text else "%Y-%m-%d"
    return int(dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc).timestamp())


def build(dest: Path, kind: str, members: Mapping[str, str | bytes]) -> Path:
    """Write ``members`` (name -> fixture path or bytes) as ``kind`` at ``dest``."""

    def data(source: str | bytes) -> bytes:
        return source if isinstance(source, bytes) else (DATA / source).read_bytes()

    dest.parent.mkdir(parents=True, exist_ok=True)
    if kind == "plain":
        (only,) = members.values()
        dest.write_bytes(data(only))
    elif kind == "gz":
        (only,) = members.values()
        dest.write_bytes(gzip.compress(data(only)))
    elif kind == "bz2":
        (only,) = members.values()
        dest.write_bytes(bz2.compress(data(only)))
    elif kind == "zip":
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, source in members.items():
                zf.writestr(name, data(source))
    elif kind.startswith("tar"):
        mode = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2"}[kind]
        with tarfile.open(dest, mode) as tar:
            for name, source in members.items():
                blob = data(source)
                info = tarfile.TarInfo(name)
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    else:
        raise ValueError(kind)
    return dest


@dataclass
class Case:
    """A dataset, the files to build for it, and what its parser must return."""

    dataset: str
    files: dict[str, tuple[str, dict[str, str | bytes]]]
    rows: list[tuple[Any, ...]]
    unparsable: int = 0
    incomplete: int = 0
    skipped: int = 0
    interactions: int | None = None  # after canonicalisation (duplicates dropped)
    extra: dict[str, Any] = field(default_factory=dict)


def _one(filename: str, kind: str, fixture: str, member: str | None = None) -> dict[str, Any]:
    return {filename: (kind, {member or filename: fixture})}


def _synthetic_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for split in ("train", "test"):
            for i in range(16):
                buf = io.BytesIO()
                np.savez(
                    buf,
                    np.array([[i, i + 1], [i + 100, 7]], dtype=np.int32) + (0 if split == "train" else 1000),
                )
                blob = buf.getvalue()
                info = tarfile.TarInfo(f"ml-20mx16x32/{split}x16x32_{i}.npz")
                info.size = len(blob)
                tar.addfile(info, io.BytesIO(blob))
    return out.getvalue()


YELP = _one("yelp_academic_dataset_review.json", "plain", "yelp/yelp_academic_dataset_review.json")
HETREC_LASTFM = {
    "hetrec2011-lastfm-2k.zip": (
        "zip",
        {
            "user_artists.dat": "hetrec/lastfm/user_artists.dat",
            "user_taggedartists-timestamps.dat": "hetrec/lastfm/user_taggedartists-timestamps.dat",
        },
    )
}
FOURSQUARE = {
    "dataset_tsmc2014.zip": (
        "zip",
        {
            "dataset_tsmc2014/dataset_TSMC2014_NYC.txt": "foursquare/dataset_tsmc2014/dataset_TSMC2014_NYC.txt",
            "dataset_tsmc2014/dataset_TSMC2014_TKY.txt": "foursquare/dataset_tsmc2014/dataset_TSMC2014_TKY.txt",
        },
    )
}
DOUBAN = {
    "Douban.tar.gz": (
        "tar.gz",
        {
            f"Douban/{d}/douban_{d}.tsv": f"douban/Douban/{d}/douban_{d}.tsv"
            for d in ("movie", "music", "book")
        },
    )
}
ANIME = _one("archive.zip", "zip", "anime/rating.csv", "rating.csv")
BOOKCROSSING = _one("BX-CSV-Dump.zip", "zip", "bookcrossing/BX-Book-Ratings.csv", "BX-Book-Ratings.csv")
GOODREADS = _one("goodreads_interactions.csv", "plain", "goodreads/goodreads_interactions.csv")
RETAILROCKET = _one("events.csv", "plain", "retailrocket/events.csv")
TMALL = _one("ijcai2016_taobao.csv", "plain", "taobao/ijcai2016_taobao.csv")
BEHAVIOUR = _one("UserBehavior.csv", "plain", "taobao/UserBehavior.csv")
ML_LATEST = (
    b"userId,movieId,rating,timestamp\n1,307,3.5,1256677221\n1,481,3.5,1256677456\n2,307,4.0,1256677200\n"
)

CASES = [
    Case(
        "amazon2014-books",
        _one("ratings_Books.csv", "plain", "amazon2014/ratings_Books.csv"),
        [
            ("A1D87F6ZCVE5NK", "0000013714", 4.0, 1343347200),
            ("A1KLRMWW2FWPL4", "0000031852", 2.0, 1267920000),
            ("A2SUAM1J3GNN3B", "0000013714", 3.0, 1356998400),
            ("A2SUAM1J3GNN3B", "0000013714", 5.0, 1252800000),
        ],
        unparsable=1,
        incomplete=1,
        interactions=3,
    ),
    Case(
        "amazon2018-books",
        _one("Books.csv", "plain", "amazon2018/Books.csv"),
        [
            ("A1C6M8LCIX4M6M", "0001713353", 1.0, 1123804700),
            ("A1C6M8LCIX4M6M", "0001713353", 5.0, 1123804800),
            ("A1C6M8LCIX4M6M", "000171287X", 4.0, 1465776000),
            ("A1REUF3A1YCPHM", "0001713353", 5.0, 1112140800),
        ],
        unparsable=1,
        interactions=3,
    ),
    Case(
        "amazon2023-books",
        _one("Books.csv.gz", "gz", "amazon2023/Books.csv"),
        [
            ("AE2ZROHDV6J7WDXE3ZXJK4Q7Z5QQ", "0593235657", 3.0, 1588687728),
            ("AFKZENTNBQ7A7V7UXW5JJI6UGRYQ", "0593235657", 5.0, 1588687728),
            ("AFKZENTNBQ7A7V7UXW5JJI6UGRYQ", "1542005493", 4.0, 1587611061),
        ],
    ),
    Case(
        "amazon2014-books-5core",
        _one("reviews_Books_5.json.gz", "gz", "amazon2014/reviews_Books_5.json"),
        [
            ("A10000012B7CGYKOMPQ4L", "000100039X", 5.0, 1355616000),
            ("A2S166WSCFIFP5", "000100039X", 5.0, 1071100800),
        ],
        unparsable=1,
        incomplete=1,
    ),
    Case("hetrec-lastfm", HETREC_LASTFM, [(2, 51), (2, 52), (3, 51)]),
    Case(
        "hetrec-lastfm-tags",
        HETREC_LASTFM,
        [(2, 52, 1238536800), (2, 52, 1238536800), (2, 63, 1238536800)],
        unparsable=1,
        interactions=2,
    ),
    Case(
        "hetrec-delicious",
        _one(
            "hetrec2011-delicious-2k.zip",
            "zip",
            "hetrec/delicious/user_taggedbookmarks-timestamps.dat",
            "user_taggedbookmarks-timestamps.dat",
        ),
        [(8, 1, 1289255362), (8, 2, 1289255159), (8, 7, 1277045145)],
    ),
    Case(
        "hetrec-movielens-2k",
        _one(
            "hetrec2011-movielens-2k-v2.zip",
            "zip",
            "hetrec/movielens/user_ratedmovies-timestamps.dat",
            "user_ratedmovies-timestamps.dat",
        ),
        [(75, 3, 1.0, 1162160236), (75, 32, 4.5, 1162160624)],
        incomplete=1,
    ),
    Case(
        "lastfm-1k",
        _one(
            "lastfm-dataset-1K.tar.gz",
            "tar.gz",
            "lastfm/lastfm-dataset-1K/userid-timestamp-artid-artname-traid-traname.tsv",
            "lastfm-dataset-1K/userid-timestamp-artid-artname-traid-traname.tsv",
        ),
        [
            (
                "user_000001",
                "Deep Dish\tFuck Me Im Famous (Pacha Ibiza)-09-28-2007",
                utc("2009-05-04 23:08:57"),
            ),
            ("user_000001", "坂本龍一\tComposition 0919 (Live_2009_4_15)", utc("2009-05-04 13:54:10")),
            ("user_000002", 'The "Quoted" Band\tSong "One"', utc("2009-05-04 13:42:52")),
            ("user_000002", "f7c1f8f8-b935-45ed-8fc8-7def69d92a10", utc("2009-05-04 13:52:04")),
        ],
        unparsable=1,
    ),
    Case(
        "lastfm-360k",
        _one(
            "lastfm-dataset-360K.tar.gz",
            "tar.gz",
            "lastfm/lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv",
            "lastfm-dataset-360K/usersha1-artmbid-artname-plays.tsv",
        ),
        [
            ("00000c289a1829a808ac09c00daf10bc3c4e223b", "3bd73256-3905-4f3a-97e2-8b341527f805"),
            ("00000c289a1829a808ac09c00daf10bc3c4e223b", "die Ärzte"),
            ("00001411dc427966b17297bf4d69e7e193135d89", "3bd73256-3905-4f3a-97e2-8b341527f805"),
        ],
    ),
    Case(
        "yelp-2018",
        YELP,
        [
            ("OyoGAe7OKpv6SyGZT5g77Q", "7ATYjTIgM3jUlt4UM3IypQ", 5.0, utc("2012-01-03")),
            ("mh_-eMZ6K5RLWhZyISBhwA", "7ATYjTIgM3jUlt4UM3IypQ", 4.0, utc("2014-02-05 20:30:30")),
            ("mh_-eMZ6K5RLWhZyISBhwA", "XQfwVwDr-v0ZS3_CbbE5Xw", 3.0, utc("2018-07-07 22:09:11")),
        ],
        unparsable=1,
    ),
    Case(
        "gowalla",
        _one("loc-gowalla_totalCheckins.txt.gz", "gz", "gowalla/loc-gowalla_totalCheckins.txt"),
        [
            (0, 22847, utc("2010-10-17 23:42:03")),
            (0, 22847, utc("2010-10-19 23:55:27")),
            (0, 420315, utc("2010-10-18 22:17:43")),
            (1, 420315, utc("2010-07-24 13:45:06")),
        ],
        interactions=3,
    ),
    Case(
        "foursquare-nyc",
        FOURSQUARE,
        [
            (470, "49bbd6c0f964a520f4531fe3", utc("2012-04-03 18:00:09")),
            (470, "4c5cc7b485a1e21e00d35711", utc("2012-04-03 18:02:24")),
            (979, "4a43c0aef964a520c6a61fe3", utc("2012-04-03 18:00:25")),
        ],
    ),
    Case("foursquare-tky", FOURSQUARE, [(1541, "4f0fd5a8e4b03856eeb6c8cb", utc("2012-04-03 18:17:18"))]),
    Case(
        "google-local-2018",
        _one("reviews.clean.json.gz", "gz", "googlelocal/reviews.clean.json"),
        [
            ("100000010817154263736", "108103314380004200232", 5.0, 1372686659),
            ("100000013500285534661", "102194128241608748649", 3.0, 1342870724),
        ],
        incomplete=1,
    ),
    Case(
        "google-local-2021-alaska",
        _one("rating-Alaska.csv.gz", "gz", "googlelocal/rating-Alaska.csv"),
        [
            ("104137830187373736208", "0x56c897b9ce6000df:0xd707e127588a8c6c", 4.0, 1572812469),
            ("109781542709906733346", "0x56c897b9ce6000df:0xd707e127588a8c6c", 5.0, 1616715366),
            ("109781542709906733346", "0x56c8992b5dee7225:0x9f7f4bf151868cf7", 2.0, 1518652816),
        ],
    ),
    Case(
        "steam-australian-reviews",
        _one("australian_user_reviews.json.gz", "gz", "steam/australian_user_reviews.json"),
        [("76561197970982479", "1250"), ("js41637", "251610")],
        unparsable=1,
    ),
    Case(
        "steam-australian-libraries",
        _one("australian_users_items.json.gz", "gz", "steam/australian_users_items.json"),
        [("76561197970982479", "10"), ("76561197970982479", "20")],
    ),
    Case(
        "steam-reviews",
        _one("steam_reviews.json.gz", "gz", "steam/steam_reviews.json"),
        [("Ariman1", "328100", utc("2017-08-02")), ("Chaos Syren", "725280", utc("2017-12-17"))],
        unparsable=1,
    ),
    Case(
        "steam-recommendations",
        _one("archive.zip", "zip", "steam/recommendations.csv", "recommendations.csv"),
        [(51580, 975370, utc("2022-12-12")), (253880, 1085660, utc("2019-11-17"))],
    ),
    Case("goodreads", GOODREADS, [(0, 947), (0, 948), (1, 946), (1, 948)]),
    Case("goodreads-ratings", GOODREADS, [(0, 948, 5.0), (1, 946, 3.0)]),
    Case(
        "goodreads-poetry",
        _one("goodreads_interactions_poetry.json.gz", "gz", "goodreads/goodreads_interactions_poetry.json"),
        [
            ("72fb0d0087d28c832f15776b0d936598", "30119", utc("2016-11-10 01:37:04")),
            ("8842281e1d1347389f2ab93d60773d4d", "1376", utc("2016-08-01 20:38:57")),
            ("8842281e1d1347389f2ab93d60773d4d", "1384", utc("2016-08-01 20:42:41")),
        ],
    ),
    Case(
        "book-crossing",
        BOOKCROSSING,
        [
            (276726, "0155061224", 5.0),
            (276729, "052165615X", 3.0),
            (276729, "0521795028", 6.0),
            (276744, "038550120X", 7.0),
            (276747, "3442437407é", 9.0),
        ],
    ),
    Case(
        "book-crossing-all",
        BOOKCROSSING,
        [
            (276725, "034545104X"),
            (276726, "0155061224"),
            (276727, "0446520802"),
            (276729, "052165615X"),
            (276729, "0521795028"),
            (276744, "038550120X"),
            (276747, "3442437407é"),
        ],
    ),
    Case("douban-movie", DOUBAN, [(0, 0, 2.0, 1318222486), (2, 1, 4.0, 1311244527)]),
    Case("douban-music", DOUBAN, [(1, 5, 5.0, 1300000000)]),
    Case(
        "douban-short-comments",
        _one("DMSC.csv", "plain", "douban/DMSC.csv"),
        [
            ("更深的白色", "Avengers Age of Ultron", 2.0, utc("2015-04-24")),
            ("然潘", "Avengers Age of Ultron", 3.0, utc("2015-05-13")),
            ("然潘", "Big Fish", 5.0, utc("2016-01-01")),
        ],
    ),
    Case(
        "filmtrust",
        _one("filmtrust.zip", "zip", "librec/ratings.txt", "ratings.txt"),
        [(1, 1, 2.0), (1, 2, 4.0), (2, 1, 3.5)],
    ),
    Case(
        "ciaodvd",
        _one("CiaoDVD.zip", "zip", "librec/movie-ratings.txt", "movie-ratings.txt"),
        [(1, 1, 4.0, utc("2013-01-05")), (1, 2, 5.0, utc("2012-11-27")), (2, 2, 1.0, utc("2011-03-30"))],
    ),
    Case(
        "epinions",
        _one(
            "epinions_data.tar.gz",
            "tar.gz",
            "epinions/epinions_data/epinions.json",
            "epinions_data/epinions.json",
        ),
        [
            ("bob_c", "ipod-nano", 2.0, 1125532800),
            ("yvettee", "buy-eyeglass", 5.0, 1175126400),
            ("yvettee", "ipod-nano", 4.0, 1152576000),
        ],
    ),
    Case(
        "epinions-trustlet",
        _one("ratings_data.txt.bz2", "bz2", "epinions/ratings_data.txt"),
        [(1, 100, 4.0), (1, 101, 5.0), (2, 100, 3.0)],
    ),
    Case(
        "citeulike-a",
        _one("citeulike-a-master.zip", "zip", "citeulike/users.dat", "citeulike-a-master/users.dat"),
        [(0, 16), (0, 29), (0, 35), (1, 1), (1, 16), (3, 5)],
        unparsable=1,
    ),
    Case(
        "jester-2",
        _one("jester_dataset_2.zip", "zip", "jester/jester_ratings.dat", "jester_ratings.dat"),
        [(1, 5, 0.219), (1, 7, -9.281), (2, 5, 9.5)],
    ),
    Case(
        "yahoo-r3",
        _one(
            "ydata-ymusic-rating-study-v1_0-train.txt",
            "plain",
            "yahoo/ydata-ymusic-rating-study-v1_0-train.txt",
        ),
        [(1, 14, 5.0), (1, 35, 1.0), (2, 14, 3.0)],
    ),
    Case(
        "yahoo-r3-random",
        _one(
            "ydata-ymusic-rating-study-v1_0-test.txt",
            "plain",
            "yahoo/ydata-ymusic-rating-study-v1_0-test.txt",
        ),
        [(1, 22, 1.0), (2, 14, 2.0)],
    ),
    Case("anime", ANIME, [(3, 20, 8.0), (3, 154, 6.0)]),
    Case("anime-watched", ANIME, [(1, 20), (1, 24), (3, 20), (3, 154)]),
    Case(
        "beeradvocate",
        _one("beeradvocate.json.gz", "gz", "beer/beeradvocate.json"),
        [("stcules", "47986", 1.5, 1234817823), ("stcules", "48213", 3.0, 1235915097)],
    ),
    Case(
        "ratebeer",
        _one("ratebeer.json.gz", "gz", "beer/ratebeer.json"),
        [("ambrose", "71716", 17.0, 1157500000), ("hopdog", "63836", 13.0, 1157587200)],
        unparsable=1,
    ),
    Case(
        "behance",
        _one("Behance_appreciate_1M.gz", "gz", "behance/Behance_appreciate_1M"),
        [(1123, 2, 1327449600), (276633, 2, 1327276800), (276633, 3, 1327363200)],
    ),
    Case(
        "adressa-one-week",
        {
            "one_week.tar.gz": (
                "tar.gz",
                {f"one_week/2017010{d}": f"adressa/one_week/2017010{d}" for d in range(1, 8)},
            )
        },
        [("cx:i68bn3gbf0ql786n:1hyr7mridb1el", "1e3a3b1d7fbf2f0d1f7", 1483225260)]
        + [(f"cx:u{d}", f"a{d % 3}", 1483225200 + d * 86400) for d in range(2, 8)],
        skipped=1,
    ),
    Case(
        "alibaba-ifashion",
        _one("user_data.txt", "plain", "alibaba/user_data.txt"),
        [("0", "1"), ("0", "2"), ("0", "3"), ("1", "2"), ("2", "3"), ("2", "3")],
        interactions=5,
    ),
    Case(
        "alibaba-mobile",
        _one(
            "tianchi_mobile_recommend_train_user.zip",
            "zip",
            "alibaba/tianchi_mobile_recommend_train_user.csv",
            "tianchi_mobile_recommend_train_user.csv",
        ),
        [
            (10001082, 4368907, utc("2014-12-12 12:00:00")),
            (10001082, 4368907, utc("2014-12-12 13:00:00")),
            (10001082, 285259775, utc("2014-12-08 18:00:00")),
        ],
        interactions=2,
    ),
    Case(
        "deliveryhero-sg",
        _one("data_sg.zip", "zip", "deliveryhero/data_sg/orders_sg.txt", "data_sg/orders_sg.txt"),
        [
            ("d7a2b1", "7b1a5c", 13 * 3600 + 5 * 60),
            ("d7a2b1", "a2c3d4", 12 * 86400 + 18 * 3600 + 30 * 60 + 15),
        ],
        unparsable=1,
    ),
    Case(
        "dianping",
        _one(
            "Dianping_SocialRec_2015.tar.bz2",
            "tar.bz2",
            "dianping/Dianping_SocialRec_2015/rating.txt",
            "Dianping_SocialRec_2015/rating.txt",
        ),
        [
            (1, 100, 4.0, utc("2012-02-03")),
            (1, 101, 5.0, utc("2013-01-01")),
            (2, 100, 3.0, utc("2014-07-08")),
        ],
    ),
    Case(
        "dianping-sequential",
        _one(
            "Dianping_SequentialRec.tar.bz2",
            "tar.bz2",
            "dianping/Dianping_SequentialRec/actions.txt",
            "Dianping_SequentialRec/actions.txt",
        ),
        [(1, 100, 1325376000), (1, 101, 1325462400), (2, 100, 1325548800)],
    ),
    Case(
        "frappe",
        _one(
            "Mobile_Frappe.zip",
            "zip",
            "frappe/Mobile_Frappe/frappe/frappe.csv",
            "Mobile_Frappe/frappe/frappe.csv",
        ),
        [(0, 0), (0, 1), (1, 0)],
    ),
    Case(
        "mind-small",
        {
            "MINDsmall_train.zip": ("zip", {"behaviors.tsv": "mind/train/behaviors.tsv"}),
            "MINDsmall_dev.zip": ("zip", {"behaviors.tsv": "mind/dev/behaviors.tsv"}),
        },
        [
            ("U13740", "N55689", utc("2019-11-11 09:05:58")),
            ("U80234", "N48740", utc("2019-11-15 12:37:50")),
            ("U91836", "N39317", utc("2019-11-12 18:11:30")),
            ("U91836", "N58114", utc("2019-11-12 18:11:30")),
        ],
        unparsable=1,
    ),
    Case(
        "retailrocket-view",
        RETAILROCKET,
        [(257597, 355908, 1433221332), (992329, 248676, 1433224214)],
    ),
    Case("retailrocket-transaction", RETAILROCKET, [(483717, 3030, 1433222276)]),
    Case(
        "diginetica",
        _one("train-item-views.csv", "plain", "diginetica/train-item-views.csv"),
        [
            (1, 31331, utc("2016-05-09") + 1031),
            (1, 81766, utc("2016-05-09") + 526),
            (2, 32118, utc("2016-05-09") + 243),
        ],
    ),
    Case(
        "tmall-click", TMALL, [(10944750, 1036609, utc("2015-09-30")), (10944751, 1036610, utc("2015-10-01"))]
    ),
    Case("tmall-buy", TMALL, [(10944750, 1036609, utc("2015-09-30"))]),
    Case("taobao-pv", BEHAVIOUR, [(1, 2268318, 1511544070), (1, 2333346, 1511561733)]),
    Case("taobao-cart", BEHAVIOUR, [(2, 2268318, 1511604478)]),
    Case(
        "movielens-latest",
        {"ml-latest.zip": ("zip", {"ml-latest/ratings.csv": ML_LATEST})},
        [(1, 307, 3.5, 1256677221), (1, 481, 3.5, 1256677456), (2, 307, 4.0, 1256677200)],
    ),
]


def _parse(case: Case, tmp_path: Path) -> tuple[pd.DataFrame, list[Any]]:
    e = entry(case.dataset)
    paths = {name: build(tmp_path / name, kind, members) for name, (kind, members) in case.files.items()}
    assert set(paths) == {f.filename for f in e.files}, "the case must provide exactly the entry's files"
    with collecting(max_fraction=1.0) as reports:
        df = e.parser(paths)
    return df, reports


def _rows(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    cols = [c for c in ("user", "item", "rating", "timestamp") if c in df.columns]
    plain = pd.DataFrame({c: df[c].astype(object) if c in ("user", "item") else df[c] for c in cols})
    rows = [tuple(r) for r in plain.itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: tuple(str(x) for x in r))


@pytest.mark.parametrize("case", CASES, ids=[c.dataset for c in CASES])
def test_parser_reads_its_source_layout(case: Case, tmp_path: Path) -> None:
    df, reports = _parse(case, tmp_path)
    expected = sorted(case.rows, key=lambda r: tuple(str(x) for x in r))
    assert _rows(df) == expected
    e = entry(case.dataset)
    assert ("rating" in df.columns) == (e.feedback == "explicit")
    assert ("timestamp" in df.columns) == e.timestamps
    if "timestamp" in df.columns:
        assert df["timestamp"].dtype == np.int64
    assert sum(r.bad for r in reports) == case.unparsable
    assert sum(r.incomplete for r in reports) == case.incomplete
    assert sum(sum(r.skipped.values()) for r in reports) == case.skipped
    ds = RecSysDataSet.from_dataframe(df, case.dataset)
    assert ds.num_interactions() == (case.interactions if case.interactions is not None else len(case.rows))


def test_every_parser_has_a_fixture_case() -> None:
    """Each distinct parser of the catalogue is exercised above (entries sharing one are listed once)."""
    from omnirec_core.data.catalog import entries

    def parser_key(e: Any) -> tuple[Any, ...]:
        p = e.parser
        func = getattr(p, "func", p)
        kw = getattr(p, "keywords", {})
        # Entries of one family differ only in file names; the layout is what must be covered.
        layout = kw.get("layout")
        return (func.__module__, func.__qualname__, id(layout) if layout is not None else None)

    covered = {parser_key(entry(c.dataset)) for c in CASES}
    missing = sorted(
        {e.name for e in entries() if parser_key(e) not in covered and not e.name.startswith("jester")}
    )
    # Jester dataset 1 needs xlrd; its matrix conversion is tested on its own below.
    allowed = {
        name
        for name in missing
        # These reuse a covered parser with another file or filter value.
        if name.startswith(
            ("amazon20", "yelp-", "google-local-2021-", "goodreads-", "douban-", "retailrocket-")
        )
        or name.startswith(("tmall-", "taobao-", "foursquare-", "deliveryhero-", "citeulike-"))
    }
    assert sorted(set(missing) - allowed) == ["movielens-1b-synthetic"]


def test_movielens_1b_synthetic_reads_every_npz_member(tmp_path: Path) -> None:
    archive = tmp_path / "ml-20mx16x32.tar"
    archive.write_bytes(_synthetic_tar())
    df = entry("movielens-1b-synthetic").parser({"ml-20mx16x32.tar": archive})
    assert len(df) == 2 * 16 * 2
    assert df["user"].dtype == np.int64
    assert set(df.loc[df["user"] >= 1000, "item"]) == {1001 + i for i in range(16)} | {1007}


def test_jester_sheet_matrix_skips_not_rated() -> None:
    from omnirec_core.data.catalog.families.jester import ratings_from_matrix

    matrix = np.array([[2, 99.0, -9.5, 3.25], [1, 0.5, 99.0, 99.0]])
    df = ratings_from_matrix(matrix, first_user=10)
    assert df.to_records(index=False).tolist() == [(10, 2, -9.5), (10, 3, 3.25), (11, 1, 0.5)]


def test_jester_without_xlrd_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from omnirec_core.errors import DataError

    real = builtins.__import__

    def no_xlrd(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "xlrd":
            raise ImportError("no xlrd")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xlrd)
    with pytest.raises(DataError, match="pip install xlrd"):
        entry("jester").parser({})


def test_unparsable_lines_are_logged_not_silently_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = next(c for c in CASES if c.dataset == "amazon2014-books")
    caplog.set_level(logging.WARNING, logger="omnirec_core.data.catalog")
    _parse(case, tmp_path)
    assert "ratings_Books.csv: left out 2 of 6 lines (1 unparsable, 1 incomplete" in caplog.text
    assert "'not a rating line': 1 fields, expected 4" in caplog.text
