"""Counting the lines a parser could not use, so none are dropped silently.

Readers note every unparsable line (wrong number of fields, bad JSON, a number that is
not a number) and every row missing a required field in a :class:`ParseReport`. When a
file is done, :meth:`ParseReport.finish` logs what was left out and raises a
:class:`DataError` when more than the allowed fraction of lines was bad, which means
the file is not what the parser expects rather than a few awkward rows.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from omnirec_core.errors import DataError

log = logging.getLogger("omnirec_core.data.catalog")

MAX_BAD_FRACTION = 0.01
MAX_BAD_ENV = "OMNIREC_MAX_BAD_LINES"  # a fraction, e.g. 0.05, overriding every dataset's limit
EXAMPLES = 3


@dataclass
class ParseReport:
    """Lines read from one file or archive member, and the ones that were left out."""

    source: str
    lines: int = 0
    bad: int = 0
    incomplete: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def bad_line(self, where: str, reason: str, n: int = 1) -> None:
        """Note ``n`` unparsable lines (``where``: a line number or the text)."""
        self.bad += n
        if len(self.examples) < EXAMPLES:
            self.examples.append(f"{where}: {reason}")

    def missing(self, column: str, n: int) -> None:
        """Note ``n`` rows without a value in a required column."""
        if n:
            self.incomplete += n
            if len(self.examples) < EXAMPLES:
                self.examples.append(f"{n} row(s) without {column}")

    def skip(self, why: str, n: int) -> None:
        """Note ``n`` well-formed rows that are not interactions (``why``), e.g. events
        without an item; they are reported but do not count as bad lines."""
        if n:
            self.skipped[why] = self.skipped.get(why, 0) + n

    @property
    def left_out(self) -> int:
        return self.bad + self.incomplete

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "lines": self.lines,
            "unparsable": self.bad,
            "incomplete": self.incomplete,
            "skipped": dict(self.skipped),
            "examples": list(self.examples),
        }

    def finish(self, max_fraction: float | None = None) -> None:
        """Log what was left out; raise when it is more than ``max_fraction`` of the lines."""
        for why, n in self.skipped.items():
            log.info("%s: skipped %d of %d rows: %s", self.source, n, self.lines, why)
        if not self.left_out:
            return
        limit = _limit(max_fraction)
        detail = "; ".join(self.examples)
        share = self.left_out / max(self.lines, 1)
        if share > limit:
            raise DataError(
                f"{self.source}: {self.left_out:,} of {self.lines:,} lines could not be used "
                f"({self.bad:,} unparsable, {self.incomplete:,} incomplete; e.g. {detail}), more "
                f"than the {limit:.2%} allowed. The file is probably damaged or not in the layout "
                f"expected: delete it and download it again, or set {MAX_BAD_ENV}=<fraction> to "
                "accept the rest"
            )
        log.warning(
            "%s: left out %d of %d lines (%d unparsable, %d incomplete; e.g. %s)",
            self.source,
            self.left_out,
            self.lines,
            self.bad,
            self.incomplete,
            detail,
        )


def _limit(max_fraction: float | None) -> float:
    raw = os.environ.get(MAX_BAD_ENV, "").strip()
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise DataError(f"{MAX_BAD_ENV}={raw!r} is not a number; use a fraction such as 0.05") from None
    return MAX_BAD_FRACTION if max_fraction is None else max_fraction


_REPORTS: ContextVar[list[ParseReport] | None] = ContextVar("omnirec_parse_reports", default=None)
_LIMIT: ContextVar[float | None] = ContextVar("omnirec_parse_limit", default=None)


@contextlib.contextmanager
def collecting(max_fraction: float | None = None) -> Iterator[list[ParseReport]]:
    """Within the block, every finished report is kept in the yielded list."""
    reports: list[ParseReport] = []
    t1, t2 = _REPORTS.set(reports), _LIMIT.set(max_fraction)
    try:
        yield reports
    finally:
        _REPORTS.reset(t1)
        _LIMIT.reset(t2)


def new_report(source: str) -> ParseReport:
    """A report for one file; it is kept by the enclosing :func:`collecting` block."""
    report = ParseReport(source)
    reports = _REPORTS.get()
    if reports is not None:
        reports.append(report)
    return report


def report_values(source: str, total: int, bad: Any, values: Any, reason: str) -> None:
    """Report values a parser derived itself (``bad``: a boolean mask over ``values``)."""
    report = new_report(source)
    report.lines = total
    n = int(bad.sum())
    if n:
        first = next(i for i, flag in enumerate(bad) if flag)
        report.bad_line(repr(values[first]), reason, n)
    finish(report)


def finish(report: ParseReport) -> None:
    """Finish ``report`` with the limit of the enclosing :func:`collecting` block."""
    report.finish(_LIMIT.get())


__all__ = [
    "MAX_BAD_ENV",
    "MAX_BAD_FRACTION",
    "ParseReport",
    "collecting",
    "finish",
    "new_report",
    "report_values",
]
