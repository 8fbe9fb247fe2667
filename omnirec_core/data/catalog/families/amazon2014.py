"""Amazon product reviews 2014 (McAuley et al.): ratings-only and 5-core files, 24 categories.

Ratings-only: ``ratings_<Category>.csv`` (``user,item,rating,timestamp``, no header),
with SHA-256 pins from OmniRec's registry. 5-core: ``reviews_<Category>_5.json.gz``
(every user and item has at least 5 reviews), no published checksum: first use.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, RECBOLE_STATS, short_count, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.families.amazon import (
    RATINGS_2014,
    omnirec_name,
    read_ratings,
    read_reviews,
    slug,
)

BASE = "https://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"
HOMEPAGE = "https://cseweb.ucsd.edu/~jmcauley/datasets/amazon/links.html"
CITATION = """@inproceedings{he2016ups,
  title={Ups and Downs: Modeling the Visual Evolution of Fashion Trends with One-Class Collaborative Filtering},
  author={He, Ruining and McAuley, Julian},
  booktitle={Proceedings of the 25th International Conference on World Wide Web (WWW)},
  pages={507--517},
  year={2016}
}
@inproceedings{mcauley2015image,
  title={Image-Based Recommendations on Styles and Substitutes},
  author={McAuley, Julian and Targett, Christopher and Shi, Qinfeng and van den Hengel, Anton},
  booktitle={Proceedings of the 38th International ACM SIGIR Conference on Research and Development in Information Retrieval},
  pages={43--52},
  year={2015}
}"""

# (file stem, SHA-256 of ratings_<stem>.csv from OmniRec's registry,
#  (users, items, ratings) of the ratings-only file as RecBole's dataset_info gives them)
CATEGORIES: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    (
        "Books",
        "87d923ddac2aacf40c1d0e0e056dbf4bf69c9c7d41852c6b434e781e759c0707",
        (8026324, 2330066, 22507155),
    ),
    (
        "Electronics",
        "a8e5b66b7f5371d1659ff88ae4acec91604125d6850f4f7e1c418120f2f9c16c",
        (4201696, 476002, 7824482),
    ),
    (
        "Movies_and_TV",
        "05fd3bbb387bca99f16b7a64a26abb736429da416e3cc0cc7423483e9ec4c265",
        (2088620, 200941, 4607047),
    ),
    (
        "CDs_and_Vinyl",
        "74b503152bc8f92f389a1f841ec00361f903772e5ebb2b664ce678c023dbbceb",
        (1578597, 486360, 3749004),
    ),
    (
        "Clothing_Shoes_and_Jewelry",
        "7bf571cb99abaebf380d2a231986e6df7b622ebd49b308e2506f1c0aab54b29a",
        (3117268, 1136004, 5748920),
    ),
    (
        "Home_and_Kitchen",
        "b0dae06e0b147abbf31878b4d16075a77b6ca8b8a5005b1a0b153b9d3ed310b2",
        (2511610, 410243, 4253926),
    ),
    (
        "Kindle_Store",
        "616edbb9ee9b5e1f0212e0a75e226df3abb66548d833df3ea8a3c53942541200",
        (1406890, 430530, 3205467),
    ),
    (
        "Sports_and_Outdoors",
        "a31a27e2f0cd85b50acd002378cf1a23a0b3f2659484defb3225a836118252d4",
        (1990521, 478898, 3268695),
    ),
    (
        "Cell_Phones_and_Accessories",
        "3c944712ec98360c959df256c9e3dde0d40caa4a888b6d2013050a7ab502afaa",
        (2261045, 319678, 3447249),
    ),
    (
        "Health_and_Personal_Care",
        "387374ea5c9641a6e9dc09b93423414da4f8153b2975594e8b24c4bdd60b0462",
        (1851132, 252331, 2982326),
    ),
    (
        "Toys_and_Games",
        "e28a342ca89a79036a9a840c0385a3a3342a08d3d3450ea3eaf3d544cd65d3af",
        (1342911, 327698, 2252771),
    ),
    (
        "Video_Games",
        "f0ca171050c2e0f208d47f5267992476b21ab68a01439c21c8be1a4432982cfa",
        (826767, 50210, 1324753),
    ),
    (
        "Tools_and_Home_Improvement",
        "ea650a9d79e69a78f011843104ecac2a3ed8059bf7405e5a19f3a25511c9d2c6",
        (1212468, 260659, 1926047),
    ),
    (
        "Beauty",
        "17d5232b90444beecfe758ce1446e5300230491f3a88ac802992ca95fc4c150f",
        (1210271, 249274, 2023070),
    ),
    (
        "Apps_for_Android",
        "ed8919d499a20949a60ea10c40c25d820783da7bead896f32213f98b1887d987",
        (1323884, 61275, 2638172),
    ),
    (
        "Office_Products",
        "4cd5f3d454e744b7017ad5918e995ec2893b577c2109dbaa6d65b375092f9630",
        (909314, 130006, 1243186),
    ),
    (
        "Pet_Supplies",
        "5f963b813439471b4b2ce10fa7e9293da5995e4ec61f29d54489996a857b3442",
        (740985, 103288, 1235316),
    ),
    (
        "Automotive",
        "d77d59c094d86b7c987edcbc8d99ae78c9061e6f89ba819e1a77a1951fe977cc",
        (851418, 320112, 1373768),
    ),
    (
        "Grocery_and_Gourmet_Food",
        "ae9b32803a9f0ddf98222e00871e7a8ff7709e792f2ba8048131ca214617e33c",
        (768438, 166049, 1297156),
    ),
    (
        "Patio_Lawn_and_Garden",
        "8edc47c5fe860e97e34ab1f339835606e551b03bec13bc4f967693c1b04ad3c0",
        (714791, 105984, 993490),
    ),
    ("Baby", "a219f779b2694f660f1ee243f2af71d63c2c9828425e716569faace305e978d1", (531890, 64426, 915446)),
    (
        "Digital_Music",
        "fdf164882460ff26fa2521e01f6a9cf8005ad252ddce308dd03519064f02d80e",
        (478235, 266414, 836006),
    ),
    (
        "Musical_Instruments",
        "c541cf84fcc75d98cc595ebd856b0ebd351efce134671171c2de0d54b9573b9c",
        (339231, 83046, 500176),
    ),
    (
        "Amazon_Instant_Video",
        "249e1061d30db8c1230e4f3edd0523be12c37e6a8e6b9872a312cf6c326f157b",
        (426922, 23965, 583933),
    ),
)


def _ratings(stem: str, sha: str, counts: tuple[int, int, int]) -> CatalogEntry:
    filename = f"ratings_{stem}.csv"
    label = stem.replace("_", " ")
    return CatalogEntry(
        name=f"amazon2014-{slug(stem)}",
        family="amazon2014",
        files=(RemoteFile(filename, (BASE + filename,), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_ratings, filename=filename, layout=RATINGS_2014),
        description=f"Amazon reviews 2014, {label}: ratings 1-5 (ratings-only file, no 5-core filter).",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        aliases=(omnirec_name("Amazon2014", stem), f"amazon-{slug(stem)}"),
        size=short_count(counts[2]),
        expected=stats(*counts),
        notes=RECBOLE_STATS,
    )


def _five_core(stem: str) -> CatalogEntry:
    filename = f"reviews_{stem}_5.json.gz"
    label = stem.replace("_", " ")
    return CatalogEntry(
        name=f"amazon2014-{slug(stem)}-5core",
        family="amazon2014",
        files=(RemoteFile(filename, (BASE + filename,)),),
        parser=partial(read_reviews, filename=filename),
        description=f"Amazon reviews 2014, {label}, 5-core: users and items with at least 5 reviews each.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        notes="No published checksum: the first download is recorded (trust on first use).",
    )


ENTRIES: tuple[CatalogEntry, ...] = tuple(_ratings(*c) for c in CATEGORIES) + tuple(
    _five_core(c[0]) for c in CATEGORIES
)
