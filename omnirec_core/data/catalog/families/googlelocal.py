"""Google Local reviews (McAuley lab): the 2018 release and the 2021 per-state rating files.

2018: ``reviews.clean.json.gz``, Python-literal lines with ``gPlusUserId``,
``gPlusPlaceId``, ``rating`` and ``unixReviewTime``. 2021: ``rating-<State>.csv.gz``,
gzipped CSV with a header line and the columns business, user, rating, time (read by
position, as OmniRec does), time in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col, Layout

BASE_2021 = "https://mcauleylab.ucsd.edu/public_datasets/gdrive/googlelocal/"
FILE_2018 = RemoteFile(
    "reviews.clean.json.gz",
    ("https://mcauleylab.ucsd.edu/public_datasets/data/googlelocal/reviews.clean.json.gz",),
    "c1e9e29f746d3165bf048bad94f7db824f186c1f5a4c515fd163e9112d217081",
    pin_source=OMNIREC_PIN,
)
FIELDS_2018 = (
    Col("gPlusUserId", "user", "id"),
    Col("gPlusPlaceId", "item", "id"),
    Col("rating", "rating", "float"),
    Col("unixReviewTime", "timestamp", "time"),
)
LAYOUT_2021 = Layout(
    (
        Col(1, "user", "id"),
        Col(0, "item", "id"),
        Col(2, "rating", "float"),
        Col(3, "timestamp", "time", "ms"),
    ),
    header=True,
)
CITATION_2018 = """@inproceedings{he2017translation,
  title={Translation-based Recommendation},
  author={He, Ruining and Kang, Wang-Cheng and McAuley, Julian},
  booktitle={Proceedings of the 11th ACM Conference on Recommender Systems (RecSys)},
  pages={161--169},
  year={2017}
}"""
CITATION_2021 = """@inproceedings{li2022uctopic,
  title={UCTopic: Unsupervised Contrastive Learning for Phrase Representations and Topic Mining},
  author={Li, Jiacheng and Shang, Jingbo and McAuley, Julian},
  booktitle={Proceedings of the 60th Annual Meeting of the Association for Computational Linguistics (ACL)},
  year={2022}
}
@inproceedings{yan2023personalized,
  title={Personalized Showcases: Generating Multi-Modal Explanations for Recommendations},
  author={Yan, An and He, Zhankui and Li, Jiacheng and Zhang, Tianyang and McAuley, Julian},
  booktitle={Proceedings of the 46th International ACM SIGIR Conference on Research and Development in Information Retrieval},
  year={2023}
}"""

# (state as in the file name, SHA-256 of rating-<state>.csv.gz from OmniRec's registry)
STATES: tuple[tuple[str, str], ...] = (
    ("Alabama", "4d528f858f093c0c1ab18278e6209364a1b48e58e0a52fad14609f6372ebe29b"),
    ("Alaska", "8c61b14e6770d40d30a3838ec26a15511648c4359e33d6169f9d87eca7ffd0b5"),
    ("Arizona", "d39a079bbf024f5d80c7afd47999bc970469ca729169521dc5122e92bc678673"),
    ("Arkansas", "2d6e48b5b76a1526e8f6fb574355febd86cc7356cede0f39f63508f15174b308"),
    ("California", "b7577525537c6b99ed2ab089ffd169211827ba70c20430661b419bc019995cf8"),
    ("Colorado", "09f8d2ac059b8f9e97878a38953a95f6329daa8a5a0e1373c5bf0b573417f010"),
    ("Connecticut", "b67649a5d8a78581cc33bfc9cdb3f60f603bdfee55d14b7aa16cc02884c2e94f"),
    ("Delaware", "b29656f03cf078542bfccea5138378ebeb007ec80b4f1eea1c0b583286e5667e"),
    ("District_of_Columbia", "0b75a6fca2b522cbc6741c6d6e550bb5f737dd0b0f75ec264f28ff9ebe115890"),
    ("Florida", "7549f633771111123310be207053d7fa567e64797f5bd0edb482d02cd71a3655"),
    ("Georgia", "46d98935ea3c98a9b86e2735795ed4b135c5e48af88d218e6643ee62238d922c"),
    ("Hawaii", "be4d7dd2efaac5eb5c5f63410c8373ea54d1450f13e53c8a0170e9fa5d5f17c6"),
    ("Idaho", "9281799dc5e5a1660d2b214027f8200f6cc30ce78565f7d5ea07e18d1f3acb86"),
    ("Illinois", "720def94e2c6ad4bfc5c989fac61a820b50aab96edfd5a5cd344aedae278f863"),
    ("Indiana", "bbe02812a470cff5889d530cb949da784553e10a21f2f13e1210ff857e8e54e9"),
    ("Iowa", "78e68fa196ddcc16d91a0e812f5d4fbd0ff4ca40124b94e23af8bce8357bdde6"),
    ("Kansas", "e56c262ef0ab95b0122bfcee4b92aa74680b756441d223c58249f1afb8d9a09a"),
    ("Kentucky", "92d148551f8b395165e87116118cbb95ae0130650a0553a229bdee0003ed42da"),
    ("Louisiana", "ca9675ba6eb7dbbd56fd7822fdb75e73fdd22456561791fe158bf0fde4c33ca0"),
    ("Maine", "a2300cd045fa752e9b3e85fb2f91d5218f80fc8358d3b8349e07318e250b5ab1"),
    ("Maryland", "cb62b0c4862ba2e71b92c4065870056b23b66fce5653a26f1159a165f78cc4eb"),
    ("Massachusetts", "30425608e95ce9a40796f9a96bb1fc014df0ae4cb1bf7546c7440ff509f5348a"),
    ("Michigan", "6a3394dd052aa7b242f370f32f96b65ea3032420ad2862d4a686bbd1137bf21c"),
    ("Minnesota", "b98052125e7306b0caa9ba9b16d47d64c40f3244f53724107677f650b55a8969"),
    ("Mississippi", "8d180f638f02817f67d463bd6f0b5874fe81d46f2f9f9caf8a5a06715d2c92d8"),
    ("Missouri", "e7e80be7bbc8da9ba26e3c56cad5787089782b22f35943534c94649455597c57"),
    ("Montana", "ec9bb219fa0ca6971f0d92beba74099cd4e21f60043f731ab0fb9bc0adaa6afe"),
    ("Nebraska", "5e94ce5026690d321680280db3586048a4c8fa789b52cc0ac9b1bc8c7779aef5"),
    ("Nevada", "59f8f23e707a4cab924bb82e588ffbe39a2b91037580aa1b6ec4d90445dad809"),
    ("New_Hampshire", "7face3de04b1859448ec50646119483bd1e1c45d83c8fe92f07c8bd88de212a0"),
    ("New_Jersey", "000d0abc75fb91afa10ef9f681dfe76652da4a3a30a57e44c21f1a8c3088c261"),
    ("New_Mexico", "6437457c168cc2946a38a733ae703d6a37311732c2da368d26fd5d984b10aa32"),
    ("New_York", "cdf9f81e8f2e3e05ab1a62ee9dde052bf3d1d9c916df6849bdf4250fa3b2eaff"),
    ("North_Carolina", "bd14702263b32f31cb8199fde7c9f8a0a99b89d378b8343306ae45ed7efc2869"),
    ("North_Dakota", "5bef4edca2d4f5f3011137a098a87b362d6f13a066cfbb2ad378f93fc6444e2d"),
    ("Ohio", "79d33ba5155f7f21a04f68a7fa560e80acef5c74d042f72125e850ba25db360f"),
    ("Oklahoma", "58fe83f26a093405a94ab8bb6f06ba6a98c5c4b002acc2790eb30e6e975dacfd"),
    ("Oregon", "c986fb79ba11227011507b3aa3f3aa5e9e8ebe7b8132ea1da2075759023aa84b"),
    ("Pennsylvania", "fe6c02754ee66a81473dcf5034ac0e5a178a08b62739b50f0d29041c0e00c801"),
    ("Rhode_Island", "17eb09485ec69a627a9d6e11e68094b4c5a4f9fb44c9ada6134f024e7febe713"),
    ("South_Carolina", "7d5839df7dc6ee56fd168ff85cac6e38c578f10cb157e541151fb91edeb0c6a0"),
    ("South_Dakota", "597aad9215dc51c9dff89c077e85e2bc596c3bd95848d279eb8b68a742ad8d9e"),
    ("Tennessee", "c3e03824b822a46d65f18270c90d5c8c3ffe787a5a9ab3d47fb1e4c43fee2a78"),
    ("Texas", "1513471ed729adcabb81cdb3e2a3d2d4673b920202f88c882fc05c4ca3bdb32e"),
    ("Utah", "5c2547dc97dd6c6f49b1abbca43b12033eede8d845cfd8a9e95878622066106d"),
    ("Vermont", "8c8f6bba9a47302eac681feccd186c8d3404da4a2fba4896e149d30e9272d102"),
    ("Virginia", "d170d262b332f3af414250693abd4f7bf50fe9d90a6f8ba0557c495a5530768f"),
    ("Washington", "1e3ed9a90c1172629909508a5671556cee3b65d6061d6d92eee00ecea70cc84c"),
    ("West_Virginia", "5207904a1c14519658b791358fcc8c50ea5e0e7a61fb400a7f5fca5c70a5b99b"),
    ("Wisconsin", "1570cb61329671346e5090d75d0bda8ee6b906c1265ab39541e0002e7c95a6a1"),
    ("Wyoming", "d62cf66742722e20f71bdf94edc27111d6d05122893aea41c4aaf1fcf3b468ae"),
)


def read_2018(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_records(Member(paths[FILE_2018.filename]), FIELDS_2018, literal=True)


def _state(stem: str, sha: str) -> CatalogEntry:
    filename = f"rating-{stem}.csv.gz"
    label = stem.replace("_", " ")
    return CatalogEntry(
        name="google-local-2021-" + stem.lower().replace("_", "-"),
        family="google-local-2021",
        files=(RemoteFile(filename, (BASE_2021 + filename,), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_one, filename=filename, layout=LAYOUT_2021),
        description=f"Google Local reviews up to Sep 2021, {label}: ratings 1-5 of businesses.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION_2021,
        homepage="https://mcauleylab.ucsd.edu/public_datasets/gdrive/googlelocal/",
        # OmniRec writes "DistrictofColumbia": the state words capitalised, "of" kept.
        aliases=("GoogleLocal2021" + "".join(w if w == "of" else w.capitalize() for w in stem.split("_")),),
        notes=(
            "The rating files' times are taken as milliseconds, the unit of the review files' "
            "sample on the dataset page; not checked against a rating file."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="google-local-2018",
        family="google-local-2018",
        files=(FILE_2018,),
        parser=read_2018,
        description="Google Local reviews (2018 release): ratings 1-5 of places, with review times.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION_2018,
        homepage="https://cseweb.ucsd.edu/~jmcauley/datasets.html#google_local",
        aliases=("GoogleLocal2018",),
        notes="Reviews without a time, if any, are left out and reported.",
    ),
    *(_state(*s) for s in STATES),
)
