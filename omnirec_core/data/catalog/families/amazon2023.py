"""Amazon Reviews 2023 (Hou et al.): the ``rating_only`` file of every category.

``benchmark/0core/rating_only/<Category>.csv.gz``: gzipped CSV with header
``user_id,parent_asin,rating,timestamp`` (milliseconds; items are parent ASINs, as in
the benchmark). SHA-256 pins from OmniRec's registry.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, RECBOLE_STATS, short_count, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.families.amazon import RATINGS_2023, omnirec_name, read_ratings, slug

BASE = "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_2023/benchmark/0core/rating_only/"
HOMEPAGE = "https://amazon-reviews-2023.github.io/"
CITATION = """@article{hou2024bridging,
  title={Bridging Language and Items for Retrieval and Recommendation},
  author={Hou, Yupeng and Li, Jiacheng and He, Zhankui and Yan, An and Chen, Xiusi and McAuley, Julian},
  journal={arXiv preprint arXiv:2403.03952},
  year={2024}
}"""

# (file stem, SHA-256 of <stem>.csv.gz from OmniRec's registry,
#  (users, items, ratings) as RecBole's dataset_info gives them, where it lists the category)
CATEGORIES: tuple[tuple[str, str, tuple[int, int, int] | None], ...] = (
    (
        "All_Beauty",
        "54b894e68ad965aa73cdb80d8695c1ed37679c46f38b6f97b21ab0fb585aab24",
        (631986, 112565, 693929),
    ),
    (
        "Amazon_Fashion",
        "7d08f3ad3ec331eb95cabf5a85c8e65f82f958429a17131e6d391f54532c0310",
        (2035490, 825869, 2474375),
    ),
    (
        "Appliances",
        "0096701a2521a5fc71c5cfca11e953b0eb48a94a1b6ee4be65cb680c1fd56976",
        (1755732, 94319, 2103990),
    ),
    (
        "Arts_Crafts_and_Sewing",
        "05ca786b3f99269ba659d71891b55d23e37bd74ab6cec0b53214ccb656308bb3",
        (4624798, 801277, 8841661),
    ),
    (
        "Automotive",
        "9dda260d1d2cb91d0f967d0b4bfa0a09fda2904432023234569e45a6a30c48d3",
        (8019747, 2003039, 19692836),
    ),
    (
        "Baby_Products",
        "e2a8d0498afed767ee2615db7fac549559d82490b1a73c7241b84b5e9e8c279e",
        (3386206, 217654, 5953891),
    ),
    (
        "Beauty_and_Personal_Care",
        "dd89a914e8c71d811c49a7e8fbdfc251c08bffb461b9544275e94018cb17f741",
        (11325787, 1028731, 23591312),
    ),
    (
        "Books",
        "752e144c1d3804619711a6b21bd68a5505825064723bfcd5008ac26067abe04b",
        (10297355, 4446065, 29139329),
    ),
    (
        "CDs_and_Vinyl",
        "1bade4e428efcffb549b6b7cb1f62a8cde9644e19a981a210b11a4c9c1561e75",
        (1754118, 701673, 4772071),
    ),
    (
        "Cell_Phones_and_Accessories",
        "1f6df616b0ae463c039f68c7082daec52d2c713b33adb57b85db3430a8e2373a",
        (11598197, 1288441, 20560480),
    ),
    (
        "Clothing_Shoes_and_Jewelry",
        "ee93396e811c03d077290b78e323228c58814a034e3e98d0339e5314d7f7a9a7",
        (22553370, 7216886, 65179586),
    ),
    (
        "Digital_Music",
        "dbd5ddd5398d0eb9cfe224c9cc60470ccfd9c55e76fc82653dd3f44f6796c2a1",
        (100952, 70511, 128763),
    ),
    (
        "Electronics",
        "2ac3508c5d0ee55ed9fdc833629f751e0f0120b9a8cb30867c8c14b87911c170",
        (18286191, 1609860, 43365426),
    ),
    (
        "Gift_Cards",
        "abfd9636afc5cdc1f46082ac1f9661b7c617cbd9c8a75652ad6a567173a14807",
        (132732, 1137, 149886),
    ),
    (
        "Grocery_and_Gourmet_Food",
        "4cb2da7f57dfe210eecf348ee16514d11460022f0ce4ed141aa66e3eb5410135",
        (7034393, 603182, 14081170),
    ),
    (
        "Handmade_Products",
        "b024e3e4cb1b1f4c9cfbb44a506ea42f8b8430ee8caf0dfa69fef52b69ece408",
        (586613, 164728, 656096),
    ),
    (
        "Health_and_Household",
        "0a8982f9915bd18ea61caf4341db95c3fe1478abee907e6a61fec838374d2dca",
        (12496820, 797393, 25269798),
    ),
    (
        "Health_and_Personal_Care",
        "5516d99b9747abff99003a7e1518833c2d64b10196201b6e6e90673bee15964d",
        (461656, 60274, 488188),
    ),
    (
        "Home_and_Kitchen",
        "9be4e2dc8b3dc513c02521644b2ae55f722b2941767e539dcfe518f6bdd4f70b",
        (23235852, 3734414, 66623880),
    ),
    (
        "Industrial_and_Scientific",
        "97aea590deb258f634caea04b63f038dceb5990bbc92cac87ce2a985f0f91595",
        (3435544, 427508, 5116105),
    ),
    (
        "Kindle_Store",
        "ff546c451edfb403d10099912b816b11600e689a599621167d4847331fdc0a0d",
        (5646991, 1590697, 25302305),
    ),
    (
        "Magazine_Subscriptions",
        "4892619d97f810331c2a278176b2be616de10403be59e48efbe65c5c1e7904d2",
        (60144, 3391, 70922),
    ),
    (
        "Movies_and_TV",
        "aa927ae5a4fc5262bfa6152ce522349f828760035242fd7e02b1dc139e867156",
        (6503429, 747764, 17158519),
    ),
    (
        "Musical_Instruments",
        "042648a89f479aaa2af4664dcb49966dbaf07bd5ebab6957799f5fb4c5efa2e0",
        (1762679, 213571, 2975551),
    ),
    (
        "Office_Products",
        "f91b5cfb6ed5ff52afe3e2f3ecc7918cbd8745b3241a8fc61011c3a41f23920b",
        (7613158, 710403, 12689349),
    ),
    (
        "Patio_Lawn_and_Garden",
        "a1ea496e71e488c6b12823d479ed6375384b82f6794b38e66d12a5dcd20c392d",
        (8599548, 851749, 16292310),
    ),
    (
        "Pet_Supplies",
        "cfc55406a1fbb507e4adfa18472e60a5de52fab3dd76f97fea25d30da1288003",
        (7778407, 492726, 16597408),
    ),
    (
        "Software",
        "11687bdbedc0bfd9bf86368465dcab40f2450d1ea8eabd3c830ba8b339edd9c0",
        (2589466, 89246, 4828480),
    ),
    (
        "Sports_and_Outdoors",
        "110617511c7303ca34d157b7d62fd20a02e412c3639b4c6e307a951fadf0414c",
        (10331141, 1587219, 19349403),
    ),
    (
        "Subscription_Boxes",
        "fb867ee253db3987ab3ceaf371da506df794b08c98cf9a99e9718d9e4e818188",
        (15237, 641, 15953),
    ),
    (
        "Tools_and_Home_Improvement",
        "5845ac062a2c165d540badac13f00a8cb8cdaa30deb670a9b41db19d92c6bd1d",
        (12245613, 1473605, 26647468),
    ),
    (
        "Toys_and_Games",
        "170fc8a18797c6091cf1b07bb3d97c13c94bfa030cf76c430bb8cac0dfb47a9f",
        (8116226, 890667, 16052440),
    ),
    (
        "Video_Games",
        "30692f9806e33a7b5d8b599b73d7ca33dbfefb0abdfc1578052a101f2e64b3cd",
        (2766656, 137249, 4555500),
    ),
    ("Unknown", "864c1dfa8b215a9a09fe0d17c7abc15f2da97078bc9acc7911783f2447016e10", None),
)


def _entry(stem: str, sha: str, counts: tuple[int, int, int] | None) -> CatalogEntry:
    filename = f"{stem}.csv.gz"
    return CatalogEntry(
        name=f"amazon2023-{slug(stem)}",
        family="amazon2023",
        files=(RemoteFile(filename, (BASE + filename,), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_ratings, filename=filename, layout=RATINGS_2023),
        description=f"Amazon Reviews 2023, {stem.replace('_', ' ')}: ratings 1-5 of parent items (0-core).",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        aliases=(omnirec_name("Amazon2023", stem),),
        size=short_count(counts[2]) if counts else "",
        expected=stats(*counts) if counts else {},
        notes=RECBOLE_STATS
        if counts
        else "Reviews whose category Amazon does not know; no published statistics.",
    )


ENTRIES: tuple[CatalogEntry, ...] = tuple(_entry(*c) for c in CATEGORIES)
