"""Line-per-record files: JSON lines, and the Python-literal lines of older McAuley-lab data.

:func:`read_records` reads the file in blocks of whole lines. A JSON block is parsed by
pyarrow's JSON reader in one vectorised call with an explicit schema of only the
fields kept; a block it rejects (a malformed line, a field of an unexpected type) is
parsed line by line with :func:`json.loads`, so one bad line costs one block's speed,
not the file's, and is counted, never dropped silently. Files written as Python
``repr`` dicts (single quotes, ``True``) are parsed with :func:`ast.literal_eval`, which
is exact but slow; :func:`read_literal_rows` lets a parser turn one record into several
rows (a user and their list of items).
"""

from __future__ import annotations

import ast
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import pandas as pd

from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import ParseReport, finish, new_report
from omnirec_core.data.catalog.tables import Col, typed_frame
from omnirec_core.data.catalog.times import EPOCH_UNITS

BLOCK_SIZE = 1 << 24
Decoder = Callable[[bytes], Any]


def _blocks(fh: IO[bytes]) -> Iterator[bytes]:
    """Blocks of whole lines (the last line of a block is completed)."""
    while True:
        block = fh.read(BLOCK_SIZE)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += fh.readline()
        yield block


def _decode_json(line: bytes) -> Any:
    return json.loads(line)


def _decode_literal(line: bytes) -> Any:
    # Python dict reprs; literal_eval accepts only literals, never runs code.
    return ast.literal_eval(line.decode("utf-8").strip())


def _lookup(record: Any, key: str | int) -> Any:
    if not isinstance(record, dict):
        raise TypeError(f"a {type(record).__name__}, not an object")
    return record.get(key)


def _decode_lines(block: bytes, decode: Decoder, report: ParseReport, first_line: int) -> Iterator[Any]:
    for offset, line in enumerate(block.splitlines()):
        if not line.strip():
            continue
        report.lines += 1
        try:
            yield decode(line)
        except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError) as exc:
            kind = "a Python literal" if decode is _decode_literal else "valid JSON"
            detail = str(exc).split("\n")[0] if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
            report.bad_line(f"line {first_line + offset}", f"not {kind} ({detail[:80]})")


def _columns_from_rows(rows: list[tuple[Any, ...]], cols: Sequence[Col]) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for i, col in enumerate(cols):
        values = [row[i] for row in rows]
        if col.kind in ("id", "str") or (col.kind == "time" and col.fmt not in EPOCH_UNITS):
            # Ids may be numbers in one line and text in the next: compare them as text.
            values = [None if v is None else str(v) for v in values]
        out[col.name] = pd.Series(values, dtype=object)
    return out


def _arrow_schema(cols: Sequence[Col]) -> Any:
    import pyarrow as pa

    def arrow_type(col: Col) -> Any:
        if col.kind in ("int", "intid") or (col.kind == "time" and col.fmt in EPOCH_UNITS):
            return pa.int64()
        if col.kind == "float":
            return pa.float64()
        return pa.string()

    return pa.schema([pa.field(str(c.source), arrow_type(c)) for c in cols])


def _arrow_block(block: bytes, cols: Sequence[Col], schema: Any) -> dict[str, Any] | None:
    """The kept fields of a JSON block, or ``None`` when pyarrow rejects the block."""
    import pyarrow as pa
    import pyarrow.json as pj

    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pj.read_json(io.BytesIO(block), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return {c.name: table.column(str(c.source)).to_pandas() for c in cols}


def read_records(member: Member, cols: Sequence[Col], *, literal: bool = False) -> pd.DataFrame:
    """Fields of line records, typed as ``cols`` say (``Col.source`` is the key).

    ``literal`` reads Python-repr lines instead of JSON.
    """
    cols = tuple(cols)
    report = new_report(member.label)
    try:
        import pyarrow  # noqa: F401

        schema = None if literal else _arrow_schema(cols)
    except ImportError:
        schema = None
    decode = _decode_literal if literal else _decode_json
    parts: list[dict[str, Any]] = []
    line_no = 1
    with member.open() as fh:
        for block in _blocks(fh):
            fast = _arrow_block(block, cols, schema) if schema is not None else None
            n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            if fast is not None:
                report.lines += sum(1 for line in block.splitlines() if line.strip())
                parts.append(fast)
            else:
                rows = []
                for record in _decode_lines(block, decode, report, line_no):
                    try:
                        rows.append(tuple(_lookup(record, c.source) for c in cols))
                    except TypeError as exc:
                        report.bad_line("a record", str(exc))
                parts.append(_columns_from_rows(rows, cols))
            line_no += n_lines
    columns = {c.name: _concat([p[c.name] for p in parts]) for c in cols}
    df = typed_frame(columns, cols, report)
    finish(report)
    return df


def read_literal_rows(
    member: Member,
    cols: Sequence[Col],
    rows_of: Callable[[Any], list[tuple[Any, ...]]],
    *,
    literal: bool = True,
) -> pd.DataFrame:
    """Rows made by ``rows_of(record)`` for each line record (several rows per line allowed).

    A record ``rows_of`` cannot handle (it raises ``KeyError``, ``TypeError`` or
    ``ValueError``) is counted as unparsable.
    """
    cols = tuple(cols)
    report = new_report(member.label)
    decode = _decode_literal if literal else _decode_json
    rows: list[tuple[Any, ...]] = []
    line_no = 1
    with member.open() as fh:
        for block in _blocks(fh):
            for record in _decode_lines(block, decode, report, line_no):
                try:
                    rows.extend(rows_of(record))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    report.bad_line("a record", f"{type(exc).__name__}: {exc}")
            line_no += block.count(b"\n")
    df = typed_frame(_columns_from_rows(rows, cols), cols, report)
    finish(report)
    return df


def _concat(parts: list[pd.Series]) -> pd.Series:
    if not parts:
        return pd.Series([], dtype=object)
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    if len({str(p.dtype) for p in parts}) > 1:
        parts = [p.astype(object) for p in parts]
    return pd.concat(parts, ignore_index=True)


__all__ = ["read_literal_rows", "read_records"]
