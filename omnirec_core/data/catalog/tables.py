"""Delimited text files (CSV, TSV, ``|``- or space-separated) read in streaming, typed form.

A :class:`Layout` says how a source writes its file: the delimiter, whether a header
line exists, the encoding, quoting, and which columns to keep under which name and
type. :func:`read_table` streams the file with pyarrow's CSV reader in blocks (only the
kept columns, already typed, rows filtered on the fly), so memory grows with the
columns kept, not with the file. Rows with the wrong number of fields, values that do
not convert and rows missing a required value are counted in the file's
:class:`ParseReport` and left out. Without pyarrow the same layout is read with
``pandas.read_csv`` (slower, same result).
"""

from __future__ import annotations

import contextlib
import csv
import re
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.ids import sorted_categorical
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import ParseReport, finish, new_report
from omnirec_core.data.catalog.times import EPOCH_UNITS, to_epoch_seconds

# id: text ids (dictionary-encoded); intid: integer ids (numeric order); int, float,
# str: values; time: a timestamp in the column's ``fmt``.
Kind = Literal["id", "intid", "int", "float", "str", "time"]
BLOCK_SIZE = 1 << 24  # bytes per streamed block
WHITESPACE = r"\s+"


@dataclass(frozen=True)
class Col:
    """One column to keep: where it is in the file, its output name and type.

    A row without a ``required`` value is incomplete (counted as bad); with
    ``skip_missing`` such rows are not interactions and are skipped (counted apart).
    ``fmt`` is the time format of a ``time`` column; for a ``float`` column,
    ``"numerator"`` reads ``13/20`` as 13.
    """

    source: str | int
    name: str
    kind: Kind = "str"
    fmt: str = "s"
    required: bool = True
    skip_missing: bool = False


@dataclass(frozen=True)
class Layout:
    """How a source writes a delimited file.

    ``where`` keeps only rows whose (output) column holds one of the given values, e.g.
    ``{"event": ("view",)}``. Integer ``Col.source`` values are positions (with a header
    line, it is skipped). ``sep=WHITESPACE`` splits on runs of blanks.
    """

    columns: tuple[Col, ...]
    sep: str = ","
    header: bool = True
    encoding: str = "utf-8"
    quote: str | None = '"'
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    skip_rows: int = 0
    multiline: bool = False  # quoted values may hold line breaks (slower: less parallel parsing)

    @property
    def positional(self) -> bool:
        return all(isinstance(c.source, int) for c in self.columns)

    def source_name(self, col: Col) -> str:
        return f"f{col.source}" if self.positional else str(col.source)


def read_table(member: Member, layout: Layout) -> pd.DataFrame:
    """The kept columns of ``member``: ids, numbers, int64 seconds; bad rows reported."""
    report = new_report(member.label)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        columns = _read_pandas(member, layout, report)
    else:
        # pyarrow splits on one character; runs of blanks go to pandas' C parser.
        reader = _read_pandas if layout.sep == WHITESPACE else _read_arrow
        columns = reader(member, layout, report)
    df = typed_frame(columns, layout.columns, report)
    finish(report)
    _release_arrow_memory()
    return df


def _release_arrow_memory() -> None:
    """Hand memory pyarrow freed back to the system, so canonicalisation starts low."""
    try:
        import pyarrow as pa
    except ImportError:
        return
    pa.default_memory_pool().release_unused()


# ---- pyarrow ----------------------------------------------------------------------
def _arrow_type(col: Col, lenient: bool) -> Any:
    import pyarrow as pa

    if col.kind in ("id", "str") or lenient:
        return pa.string()
    if col.kind == "time":
        return pa.int64() if col.fmt in EPOCH_UNITS else pa.string()
    return {"intid": pa.int64(), "int": pa.int64(), "float": pa.float64()}[col.kind]


def _read_arrow(member: Member, layout: Layout, report: ParseReport) -> dict[str, Any]:
    import pyarrow as pa

    try:
        return _stream_arrow(member, layout, report, lenient=False)
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc).lower() and "could not convert" not in str(exc).lower():
            raise _layout_error(member, exc) from None
    # A value that does not convert: read the columns as text and convert them in bulk,
    # so the bad values are counted instead of failing the whole file.
    report.lines = report.bad = report.incomplete = 0
    report.examples.clear()
    return _stream_arrow(member, layout, report, lenient=True)


def _stream_arrow(member: Member, layout: Layout, report: ParseReport, *, lenient: bool) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.csv as pv

    names = {layout.source_name(c): c for c in layout.columns}
    positional = layout.positional
    read = pv.ReadOptions(
        block_size=BLOCK_SIZE,
        encoding=layout.encoding,
        skip_rows=layout.skip_rows + (1 if positional and layout.header else 0),
        autogenerate_column_names=positional,
    )

    def bad_row(row: Any) -> str:
        where = f"line {row.number}" if row.number is not None else repr(row.text[:60])
        report.bad_line(where, f"{row.actual_columns} fields, expected {row.expected_columns}")
        return "skip"

    parse = pv.ParseOptions(
        delimiter=layout.sep,
        quote_char=layout.quote if layout.quote else False,
        invalid_row_handler=bad_row,
        newlines_in_values=layout.multiline,
    )
    convert = pv.ConvertOptions(
        include_columns=list(names),
        column_types={n: _arrow_type(c, lenient) for n, c in names.items()},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    batches = []
    with _arrow_input(member) as source:
        try:
            reader = pv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "conversion error" in str(exc).lower():
                raise
            raise _layout_error(member, exc) from None
        for batch in reader:
            report.lines += batch.num_rows
            batch = _filter_arrow(batch, layout, names)
            if batch.num_rows:
                batches.append(batch)
    report.lines += report.bad
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return {names[n].name: table.column(n) for n in names}


@contextlib.contextmanager
def _arrow_input(member: Member) -> Any:
    import pyarrow as pa

    if member.is_plain_file:
        # Native reading and decompression, no Python in the loop.
        with pa.input_stream(str(member.path), compression=member.compression) as stream:
            yield stream
    else:
        with member.open() as fh:
            yield fh


def _filter_arrow(batch: Any, layout: Layout, names: Mapping[str, Col]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not layout.where:
        return batch
    by_output = {c.name: n for n, c in names.items()}
    mask = None
    for column, allowed in layout.where.items():
        values = batch.column(by_output[column])
        keep = pc.is_in(values, value_set=pa.array(list(allowed), type=values.type))
        mask = keep if mask is None else pc.and_(mask, keep)
    return batch.filter(pc.fill_null(mask, False))


def _layout_error(member: Member, exc: Exception) -> Exception:
    from omnirec_core.errors import DataError

    return DataError(
        f"{member.label} is not in the layout omnirec expects ({exc}); the release may have "
        "changed or the file is damaged: delete it and download it again"
    )


# ---- pandas fallback ----------------------------------------------------------------
_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")


def _read_pandas(member: Member, layout: Layout, report: ParseReport) -> dict[str, Any]:
    cols = {c.source: c for c in layout.columns}
    with member.open() as fh, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            df = pd.read_csv(
                fh,
                sep=layout.sep,
                header=0 if layout.header and not layout.positional else None,
                usecols=list(cols),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=layout.encoding,
                quoting=csv.QUOTE_MINIMAL if layout.quote else csv.QUOTE_NONE,
                on_bad_lines="warn",
                skiprows=layout.skip_rows + (1 if layout.header and layout.positional else 0),
                engine="c",
            )
        except (ValueError, pd.errors.ParserError) as exc:
            raise _layout_error(member, exc) from None
    for w in caught:
        for line, reason in _SKIPPED.findall(str(w.message)):
            report.bad_line(f"line {line}", reason.strip())
    report.lines = len(df) + report.bad
    out = {c.name: df[source].reset_index(drop=True) for source, c in cols.items()}
    if layout.where:
        mask = np.ones(len(df), dtype=bool)
        for column, allowed in layout.where.items():
            mask &= out[column].isin([str(v) for v in allowed]).to_numpy()
        out = {k: v[mask].reset_index(drop=True) for k, v in out.items()}
    return out


# ---- typing the kept columns ------------------------------------------------------------
def _valid(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.notna().to_numpy()
    return values.is_valid().to_numpy(zero_copy_only=False)


def _to_numbers(values: Any, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """Numbers (int64 for ids and ints, float64 otherwise) and which values converted."""
    series = values if isinstance(values, pd.Series) else values.to_pandas()
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        series = pd.to_numeric(series, errors="coerce")
    raw = series.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(raw)
    if kind == "float":
        return raw, ok
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.to_numpy(dtype="int64", na_value=0), ok
    ok &= np.isfinite(raw) & (raw == np.floor(np.where(ok, raw, 0)))  # 1.5 is not an id
    return np.where(ok, raw, 0).astype("int64"), ok


def _example(values: Any, bad: np.ndarray) -> str:
    first = int(np.flatnonzero(bad)[0])
    value = values.iloc[first] if isinstance(values, pd.Series) else values[first].as_py()
    return repr(value)


def typed_frame(columns: dict[str, Any], cols: tuple[Col, ...], report: ParseReport) -> pd.DataFrame:
    """Columns (pyarrow arrays or pandas series) typed as ``cols`` say; bad rows left out.

    Rows missing a required value and values that do not convert are counted in
    ``report``. Text ids become sorted categoricals, times int64 seconds. ``columns`` is
    emptied as it goes, so each raw column is freed once converted.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    valid = {c.name: _valid(columns[c.name]) for c in cols}
    keep = np.ones(n, dtype=bool)
    for col in cols:
        if col.skip_missing:  # not an interaction (e.g. an event without an item)
            report.skip(f"no {col.name}", int((keep & ~valid[col.name]).sum()))
            keep &= valid[col.name]
    lacking = np.zeros(n, dtype=bool)  # rows missing a required value, counted once per row
    names = [c.name for c in cols if c.required and not c.skip_missing and not valid[c.name].all()]
    for name in names:
        lacking |= ~valid[name]
    report.missing(" or ".join(names), int((lacking & keep).sum()))
    keep &= ~lacking
    converted: dict[str, Any] = {}
    for col in cols:
        values = columns.pop(col.name)
        if col.kind in ("intid", "int", "float"):
            if col.fmt == "numerator":
                text = values if isinstance(values, pd.Series) else values.to_pandas()
                values = text.astype(object).where(text.isna(), text.astype(str).str.split("/", n=1).str[0])
            numbers, ok = _to_numbers(values, col.kind)
        elif col.kind == "time":
            numbers, ok = to_epoch_seconds(values, col.fmt)
        else:
            converted[col.name] = values
            continue
        bad = valid[col.name] & ~ok & keep
        if bad.any():
            report.bad_line(_example(values, bad), f"not a valid {col.name}", int(bad.sum()))
            keep &= ~bad
        converted[col.name] = numbers
    return _frame(converted, cols, keep)


def _frame(converted: dict[str, Any], cols: tuple[Col, ...], keep: np.ndarray) -> pd.DataFrame:
    all_kept = bool(keep.all())
    kinds = {c.name: c.kind for c in cols}

    def column(name: str) -> Any:
        values = converted.pop(name)  # the raw column is freed as soon as it is converted
        if isinstance(values, np.ndarray):
            return values if all_kept else values[keep]
        if isinstance(values, pd.Series):
            values = values if all_kept else values[keep].reset_index(drop=True)
            if kinds[name] != "id":
                return values
            try:
                import pyarrow as pa
            except ImportError:
                return values.astype(str)
            return sorted_categorical(pa.array(values.astype(str), type=pa.string()))
        import pyarrow as pa

        if isinstance(values, pa.ChunkedArray) and kinds[name] == "id":
            values = values.combine_chunks()  # rebinding frees the chunks
        if not all_kept:
            values = values.filter(pa.array(keep))
        if kinds[name] == "id":
            # Hand over the only reference, so the strings are freed once encoded.
            box = [values]
            del values
            return sorted_categorical(box.pop())
        return values.to_pandas()

    # String ids are encoded in parallel: pyarrow releases the GIL while hashing and sorting.
    names = [c.name for c in cols]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(names, pool.map(column, names)))
    return pd.DataFrame(done)


__all__ = ["Col", "Kind", "Layout", "read_table", "typed_frame"]
