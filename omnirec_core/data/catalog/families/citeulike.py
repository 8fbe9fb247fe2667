"""CiteULike-a and CiteULike-t (Wang et al.): ``users.dat`` in each GitHub repository archive.

Line ``n`` lists the articles user ``n`` (0-based) has in their library: the count
first, then the article ids, separated by blanks. A line whose count does not match
its ids is reported as unparsable.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import finish, new_report

CITATION_A = """@inproceedings{wang2011collaborative,
  title={Collaborative Topic Modeling for Recommending Scientific Articles},
  author={Wang, Chong and Blei, David M.},
  booktitle={Proceedings of the 17th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining},
  pages={448--456},
  year={2011}
}"""
CITATION_T = """@inproceedings{wang2013collaborative,
  title={Collaborative Topic Regression with Social Regularization for Tag Recommendation},
  author={Wang, Hao and Chen, Binyi and Li, Wu-Jun},
  booktitle={Proceedings of the 23rd International Joint Conference on Artificial Intelligence (IJCAI)},
  pages={2719--2725},
  year={2013}
}"""


def read_libraries(member: Member) -> pd.DataFrame:
    """One row per (user = line number, article) of a ``users.dat`` file."""
    report = new_report(member.label)
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    with member.open() as fh:
        for user, raw in enumerate(fh):
            report.lines += 1
            fields = raw.split()
            try:
                ids = np.array(fields[1:], dtype=np.int64)
                if not fields or int(fields[0]) != len(ids):
                    count = fields[0].decode(errors="replace") if fields else "(none)"
                    raise ValueError(f"count {count} but {len(ids)} ids")
            except ValueError as exc:
                report.bad_line(f"line {user + 1}", str(exc)[:80])
                continue
            users.append(np.full(len(ids), user, dtype=np.int64))
            items.append(ids)
    finish(report)
    if not users:
        return pd.DataFrame({"user": np.array([], np.int64), "item": np.array([], np.int64)})
    return pd.DataFrame({"user": np.concatenate(users), "item": np.concatenate(items)})


def _read(paths: Mapping[str, Path], filename: str, repo: str) -> pd.DataFrame:
    return read_libraries(Member(paths[filename], f"{repo}-master/users.dat"))


def _entry(variant: str, sha: str, citation: str) -> CatalogEntry:
    repo = f"citeulike-{variant}"
    filename = f"{repo}-master.zip"
    return CatalogEntry(
        name=repo,
        family="citeulike",
        files=(
            RemoteFile(
                filename,
                (f"https://github.com/js05212/{repo}/archive/refs/heads/master.zip",),
                sha,
                pin_source=OMNIREC_PIN,
            ),
        ),
        parser=partial(_read, filename=filename, repo=repo),
        description=f"CiteULike-{variant}: the scientific articles in each user's library.",
        feedback="implicit",
        timestamps=False,
        licence="Shared by the authors for research; cite the paper below.",
        citation=citation,
        homepage=f"https://github.com/js05212/{repo}",
        aliases=(f"CiteULike{variant.upper()}",),
        notes="GitHub builds branch archives on the fly; a changed archive fails the pin and says so.",
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    _entry("a", "d47993abf270e0366536c94a9c31c512082b124ad6039b3779b519aa8ab4e96e", CITATION_A),
    _entry("t", "bc3bc287f13805e992b811db05c1f731f67167f6fdecab58f050433613727aab", CITATION_T),
)
