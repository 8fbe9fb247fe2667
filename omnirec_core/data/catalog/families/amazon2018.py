"""Amazon review data 2018 (Ni, Li, McAuley): ratings-only and 5-core files, 29 categories.

Ratings-only: ``<Category>.csv`` (``item,user,rating,timestamp``, no header) with
SHA-256 pins from OmniRec's registry; 5-core: ``<Category>_5.json.gz`` JSON lines, no
published checksum (first use). The files are served from the McAuley lab's current
host; the two hosts the dataset page used before are kept as mirrors.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, RECBOLE_STATS, short_count, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.families.amazon import (
    RATINGS_2018,
    omnirec_name,
    read_ratings,
    read_reviews,
    slug,
)

HOSTS = (
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/categoryFilesSmall/",
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/categoryFilesSmall/",
    "http://deepyeti.ucsd.edu/jianmo/amazon/categoryFilesSmall/",
)
HOMEPAGE = "https://nijianmo.github.io/amazon/index.html"
CITATION = """@inproceedings{ni2019justifying,
  title={Justifying Recommendations using Distantly-Labeled Reviews and Fine-Grained Aspects},
  author={Ni, Jianmo and Li, Jiacheng and McAuley, Julian},
  booktitle={Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)},
  pages={188--197},
  year={2019}
}"""

# (file stem, SHA-256 of <stem>.csv from OmniRec's registry,
#  (users, items, ratings) of the ratings-only file as RecBole's dataset_info gives them)
CATEGORIES: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    (
        "AMAZON_FASHION",
        "c72e84207601cd00840a91b9b4433c60b8be800a27aa86991f5cb57f29b99825",
        (749233, 186189, 883636),
    ),
    (
        "All_Beauty",
        "b3d9260771f9fe489a61180b9ff407e15e10f481a287848f69bc4709b669246f",
        (324038, 32586, 371345),
    ),
    (
        "Appliances",
        "35af90b093508f4a811d259b71b94d45b2f67b0daf3d702203d29ff6b16b1e28",
        (515650, 30252, 602777),
    ),
    (
        "Arts_Crafts_and_Sewing",
        "ab42ec44840c130b8bcb1993bad37021b5ff98f3aae55a120c2a0d0624be3be5",
        (1579230, 302809, 2875917),
    ),
    (
        "Automotive",
        "3cb4182e6623f1ac4511cf02a46c5ba11b761fa6d7feead7922199603f9d35df",
        (3873247, 925387, 7990166),
    ),
    (
        "Books",
        "2ff13d9763d38118851d8f8a4ab530f958e08ad48aa764c2d9bbe16ec227a3b8",
        (15362619, 2930451, 51311621),
    ),
    (
        "CDs_and_Vinyl",
        "daedcfb79310479728f11cc1e66d49ec6dccdec124222391bf6f4f69ca5092db",
        (1944316, 434060, 4543369),
    ),
    (
        "Cell_Phones_and_Accessories",
        "c05835e7a7f7a1b0bab4fe4f2dbabecb102fde22de579758d10d36973d8b6a14",
        (2745203, 48306, 3722011),
    ),
    (
        "Clothing_Shoes_and_Jewelry",
        "8b78d8a965e2351468deeebe99edb6118561711be4d5b6294e24e25f910c4d3d",
        (12483678, 2681297, 32292099),
    ),
    (
        "Digital_Music",
        "a73f1504ed58fdc3533a6817b4c89fc4f722eb46dc18f94a4566a4b171439c9c",
        (840372, 456992, 1584082),
    ),
    (
        "Electronics",
        "1ce756643c0abed1b0d8a0738e67fc2510f3086d2bd52567942e18582dd01791",
        (9838676, 756489, 20994353),
    ),
    (
        "Gift_Cards",
        "e360486b46b7eef5f2ed3ecc0a486f15097b7600fbee4079632418496802704a",
        (128877, 1548, 147194),
    ),
    (
        "Grocery_and_Gourmet_Food",
        "9652d130382a3f1fcbfffffcaf3b8474e2649be034fbea8b0281b78424b65d40",
        (2695974, 283507, 5074160),
    ),
    (
        "Home_and_Kitchen",
        "618e6c4493bcdd147a2bf3015bc0835dfedbc03570fba7d89335d9cd360069eb",
        (9767606, 1286050, 21928568),
    ),
    (
        "Industrial_and_Scientific",
        "29e194947309c1a0e81f0f9646fd6f63959949dbd807ea327e07074f35376a30",
        (1246131, 165764, 1758333),
    ),
    (
        "Kindle_Store",
        "f2fac32f72f51857f164c2c1671db141f06b2649608ebf1af2efba02a2fb219b",
        (2409262, 493849, 5722988),
    ),
    (
        "Luxury_Beauty",
        "5e1ab08a0147412d6a15ab4b8259df7fbc1fe09c747ba5c46486081ee4d68d24",
        (416174, 12120, 574628),
    ),
    (
        "Magazine_Subscriptions",
        "40287d71ee0c49030ee222888fb21a95941c2c31344e15bdd2e58e0f63831c2d",
        (72098, 2428, 89689),
    ),
    (
        "Movies_and_TV",
        "c7a6ca7769a34fd0d335e1cd25e359c18a8fcd474515f8b62986297e35b5fc4f",
        (3826085, 182032, 8765568),
    ),
    (
        "Musical_Instruments",
        "8933b17434e4984bcce8cf4ec43d847e0af6aa6d46add28bbb37b80e06da1b06",
        (903330, 112222, 1512530),
    ),
    (
        "Office_Products",
        "2e24f3df092efc71fa4dea41162c7c1ab2d46bc53c4cace63794a3a66dc6d82f",
        (3404914, 306800, 5581313),
    ),
    (
        "Patio_Lawn_and_Garden",
        "103438afc6ddb6a9416b94804bf86251b7d3b15bdf6cc50e90d6787008f08e31",
        (3097405, 276563, 5236058),
    ),
    (
        "Pet_Supplies",
        "dac12cc077131bdf1c951cc0cc2016d6381e6b52eb65a3cb98456ce82a3c6bd9",
        (3085591, 198402, 6542483),
    ),
    (
        "Prime_Pantry",
        "ed55b1f239c4ec3402fdd15a603a4b84210177678c36c01db59487a8fddf685c",
        (247659, 10814, 471614),
    ),
    ("Software", "86d2ec7712b4c979bf7e7e984d39989b610c9f0e4ba4fc02c6aac7dcd9a15583", (375147, 21663, 459436)),
    (
        "Sports_and_Outdoors",
        "da8d746f1602d5ff01d4056c8f55b228996a30d40069b658d71388b0bf3df5d6",
        (6703391, 957764, 12980837),
    ),
    (
        "Tools_and_Home_Improvement",
        "1406d988afa38c62aeba1e6b33dada18a570fa6d8dd59cbc6e5229f8ecae0db0",
        (4704014, 559775, 9015203),
    ),
    (
        "Toys_and_Games",
        "cfdf96d55b3d923c913f3b139e7fabdc20360989db38527ef5947982aa246d45",
        (4204994, 624792, 8201231),
    ),
    (
        "Video_Games",
        "c3fec1cce4ee67f0d51f8b53a7e294d8bbe6f75ca1d8732256e900b3c46606d8",
        (1540618, 71982, 2565349),
    ),
)


def _urls(filename: str) -> tuple[str, ...]:
    return tuple(host + filename for host in HOSTS)


def _ratings(stem: str, sha: str, counts: tuple[int, int, int]) -> CatalogEntry:
    filename = f"{stem}.csv"
    label = stem.replace("_", " ").title() if stem.isupper() else stem.replace("_", " ")
    return CatalogEntry(
        name=f"amazon2018-{slug(stem)}",
        family="amazon2018",
        files=(RemoteFile(filename, _urls(filename), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_ratings, filename=filename, layout=RATINGS_2018),
        description=f"Amazon review data 2018, {label}: ratings 1-5 (ratings-only file, no 5-core filter).",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        aliases=(omnirec_name("Amazon2018", stem), f"amazon-{slug(stem)}-18"),
        size=short_count(counts[2]),
        expected=stats(*counts),
        notes=RECBOLE_STATS,
    )


def _five_core(stem: str) -> CatalogEntry:
    filename = f"{stem}_5.json.gz"
    label = stem.replace("_", " ").title() if stem.isupper() else stem.replace("_", " ")
    return CatalogEntry(
        name=f"amazon2018-{slug(stem)}-5core",
        family="amazon2018",
        files=(RemoteFile(filename, _urls(filename)),),
        parser=partial(read_reviews, filename=filename),
        description=f"Amazon review data 2018, {label}, 5-core: users and items with at least 5 reviews each.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        notes=(
            "No published checksum: the first download is recorded (trust on first use). The "
            "file name follows the pattern of the dataset page; it was not checked per category."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = tuple(_ratings(*c) for c in CATEGORIES) + tuple(
    _five_core(c[0]) for c in CATEGORIES
)
