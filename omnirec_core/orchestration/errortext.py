"""Short, decisive descriptions of failures for consoles and status tables.

A runner that dies prints a traceback; the message omnirec records is the first line
(what happened) plus the log tail. What a user needs first is the line that says why:
the exception line at the end of the traceback (``ModuleNotFoundError: No module named
'lenskit'``). :func:`summary` puts the two together on one line.
"""

from __future__ import annotations

import re

_EXCEPTION = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning)\b(?::.*)?$"
)
MAX_SUMMARY = 300


def decisive_line(text: str) -> str:
    """The last exception line of a traceback in ``text`` ('' when there is none)."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if _EXCEPTION.match(line):
            return line
    return ""


def summary(text: str) -> str:
    """One line: the first line of ``text``, plus the decisive exception line when it adds something."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    first = lines[0]
    decisive = decisive_line("\n".join(lines[1:]))
    if decisive and decisive not in first:
        first = f"{first.removesuffix('Last output:').rstrip()} -> {decisive}"
    return first if len(first) <= MAX_SUMMARY else first[: MAX_SUMMARY - 3] + "..."
