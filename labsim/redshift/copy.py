"""Redshift's COPY as Firehose runs it: staged S3 files into a table, with the CopyCommand's options.

Firehose issues ``COPY <DataTableName> (<DataTableColumns>) FROM 's3://<bucket>/<manifest>'
CREDENTIALS 'aws_iam_role=<role>' MANIFEST <CopyOptions>``. ``CopyOptions`` understood here (the
common ones; any other word is refused as Redshift refuses a syntax error):

- format: default pipe-delimited text; ``delimiter 'x'``; ``csv`` (quoted fields; delimiter ',');
  ``json 'auto'`` / ``format as json 'auto'`` (keys matched to column names, which Redshift keeps in
  lower case) or ``json 'auto ignorecase'``; a JSONPaths file (``json 's3://...'``) is not simulated.
- ``gzip``: the staged files are GZIP (Firehose's staging CompressionFormat must agree).
- ``ignoreheader n``, ``maxerror n`` (rows that fail are reported in ``stl_load_errors``; more than
  ``maxerror`` of them and the whole COPY fails, nothing is loaded, as in Redshift), ``emptyasnull``,
  ``blanksasnull``, ``timeformat 'auto'``, ``dateformat 'auto'``, ``truncatecolumns``,
  ``acceptinvchars``, ``removequotes`` (accepted; the engine already reads these values).

Rows are cast by DuckDB to the table's column types; a value that does not cast rejects its row.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import json
import re
import shlex
from typing import Any

from .warehouse import Warehouse

_ACCEPTED = {"emptyasnull", "blanksasnull", "truncatecolumns", "acceptinvchars", "removequotes", "explicit_ids",
             "trimblanks", "fillrecord", "escape", "compupdate", "statupdate", "off", "on", "true", "false"}


class CopyError(Exception):
    """A COPY that fails as a whole: (Firehose error code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotSimulated(CopyError):
    """A COPY feature labsim does not simulate: refused when the stream is created, in labsim's words."""


class CopyOptions:
    """The parsed options of one CopyCommand."""

    __slots__ = ("format", "delimiter", "gzip", "ignoreheader", "maxerror", "ignorecase", "text")

    def __init__(self, text: str | None) -> None:
        self.text = text or ""
        self.format = "text"
        self.delimiter = "|"
        self.gzip = False
        self.ignoreheader = 0
        self.maxerror = 0
        self.ignorecase = False
        try:
            words = shlex.split(self.text.replace(";", " "), posix=True)
        except ValueError as exc:
            raise CopyError("Redshift.SyntaxError", f"CopyOptions {self.text!r} cannot be parsed: {exc}") from None
        i = 0
        while i < len(words):
            word = words[i].lower()
            arg = words[i + 1] if i + 1 < len(words) else None
            if word in ("format", "as"):
                i += 1
                continue
            if word == "json":
                if arg is None or arg.lower() not in ("auto", "auto ignorecase"):
                    raise NotSimulated("Redshift.IncorrectCopyOptions",
                                    f"json {arg!r}: labsim's COPY reads json 'auto' or json 'auto ignorecase' "
                                    "(a JSONPaths file is not simulated).")
                self.format, self.ignorecase = "json", arg.lower() == "auto ignorecase"
                i += 2
            elif word == "csv":
                self.format, self.delimiter = "csv", "," if self.delimiter == "|" else self.delimiter
                i += 1
            elif word == "delimiter":
                if arg is None or len(arg) != 1:
                    raise CopyError("Redshift.SyntaxError", f"delimiter needs one character in quotes, got {arg!r}.")
                self.delimiter = arg
                i += 2
            elif word == "gzip":
                self.gzip = True
                i += 1
            elif word in ("ignoreheader", "maxerror"):
                if arg is None or not arg.isdigit():
                    raise CopyError("Redshift.SyntaxError", f"{word} needs a number, got {arg!r}.")
                setattr(self, word, int(arg))
                i += 2
            elif word in ("timeformat", "dateformat", "region", "compupdate", "statupdate"):
                i += 2
            elif word in _ACCEPTED:
                i += 1
            elif word in ("bzip2", "lzop", "zstd", "avro", "parquet", "orc", "fixedwidth", "shapefile"):
                raise CopyError("Redshift.IncorrectCopyOptions",
                                f"{word.upper()} cannot be used: Firehose stages text files, plain or GZIP.")
            else:
                raise CopyError("Redshift.SyntaxError", f'syntax error at or near "{words[i]}" in the COPY options.')


def _records(body: bytes, options: CopyOptions, filename: str) -> list[tuple[int, str, list[Any] | dict[str, Any]]]:
    """(line number, raw text, fields or JSON object) for every record in one staged file."""
    if options.gzip:
        try:
            body = gzip.decompress(body)
        except OSError:
            raise CopyError("Redshift.DataLoadFailed",
                            f"{filename}: the COPY says GZIP but the file is not gzip-compressed "
                            "(staging CompressionFormat and CopyOptions must agree).") from None
    elif body[:2] == b"\x1f\x8b":
        raise CopyError("Redshift.DataLoadFailed",
                        f"{filename}: the file is gzip-compressed but the COPY options do not say GZIP "
                        "(add gzip to CopyOptions when the staging CompressionFormat is GZIP).")
    text = body.decode("utf-8", errors="replace")
    out: list[tuple[int, str, Any]] = []
    if options.format == "json":
        decoder = json.JSONDecoder()
        pos, line = 0, 1
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                line += text[pos] == "\n"
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, end = decoder.raw_decode(text, pos)
            except ValueError as exc:
                rest = text[pos:].split("\n", 1)
                out.append((line, rest[0], ValueError(f"Invalid JSON: {exc.msg}")))
                if len(rest) == 1:
                    break
                pos += len(rest[0]) + 1
                line += 1
                continue
            out.append((line, text[pos:end], obj))
            line += text.count("\n", pos, end)
            pos = end
        return out
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, raw in enumerate(lines[options.ignoreheader:], start=options.ignoreheader + 1):
        raw = raw.rstrip("\r")
        fields = next(csv.reader([raw], delimiter=options.delimiter)) if options.format == "csv" else raw.split(options.delimiter)
        out.append((n, raw, fields))
    return out


def run_copy(warehouse: Warehouse, table: str, columns: list[str] | None, options: CopyOptions,
             files: list[tuple[str, bytes]], now: float) -> int:
    """Load ``files`` into ``table``; the number of rows loaded. CopyError when the COPY fails as a whole."""
    import pyarrow as pa

    found = warehouse.table_columns(table)
    if found is None:
        raise CopyError("Redshift.TableNotFound",
                        f'relation "{table}" does not exist: create it first (redshift-data ExecuteStatement '
                        f'"create table {table} (...)").')
    types = {name.lower(): kind for name, kind in found}
    target = [c.strip().lower() for c in columns] if columns else [name.lower() for name, _ in found]
    unknown = [c for c in target if c not in types]
    if unknown:
        raise CopyError("Redshift.ColumnNotFound", f'column "{unknown[0]}" of relation "{table}" does not exist.')
    values: dict[str, list[Any]] = {c: [] for c in target}
    rejected: list[tuple[str, int, str, str, str, str]] = []
    kept_raw: list[tuple[str, int, str]] = []
    for filename, body in files:
        for line, raw, record in _records(body, options, filename):
            if isinstance(record, ValueError):
                rejected.append((filename, line, "", raw, "", str(record)))
                continue
            row = _row(record, target, options)
            if isinstance(row, str):
                rejected.append((filename, line, "", raw, "", row))
                continue
            for c, v in zip(target, row):
                values[c].append(v)
            kept_raw.append((filename, line, raw))
    # Which rows do not cast to the column types (DuckDB's try_cast), as Redshift rejects them.
    staged = pa.table({f"c{i}": pa.array(values[c], pa.string()) for i, c in enumerate(target)} |
                      {"_row": pa.array(range(len(kept_raw)), pa.int64())})
    casts = ", ".join(f"try_cast(c{i} as {types[c]}) is null and c{i} is not null as bad{i}" for i, c in enumerate(target))
    with warehouse.lock:
        con = warehouse.connection
        con.register("_copy_staged", staged)
        try:
            flags = con.execute(f"select _row, {casts} from _copy_staged").fetchall() if target else []
            bad_rows = set()
            for row in flags:
                for i, flag in enumerate(row[1:]):
                    if flag:
                        filename, line, raw = kept_raw[row[0]]
                        c = target[i]
                        rejected.append((filename, line, c, raw, values[c][row[0]],
                                         f"Invalid input for column {c} of type {types[c]}"))
                        bad_rows.add(row[0])
                        break
            _log(con, rejected, now)
            if len(rejected) > options.maxerror:
                first = rejected[0]
                raise CopyError("Redshift.DataLoadFailed",
                                f"Load into table '{table}' failed. Check 'stl_load_errors' system table for details. "
                                f"{len(rejected)} row(s) rejected (MAXERROR {options.maxerror}); first: line {first[1]} "
                                f"of {first[0]}: {first[5]}.")
            column_list = ", ".join(target)
            select = ", ".join(f"cast(c{i} as {types[c]})" for i, c in enumerate(target))
            keep = f"where _row not in ({', '.join(str(r) for r in sorted(bad_rows))})" if bad_rows else ""
            try:
                con.execute(f"insert into {table} ({column_list}) select {select} from _copy_staged {keep}")
            except Exception as exc:  # constraints (NOT NULL...) fail the COPY as a whole
                raise CopyError("Redshift.DataLoadFailed", f"Load into table '{table}' failed: {exc}") from None
        finally:
            con.unregister("_copy_staged")
    return len(kept_raw) - len(bad_rows)


def _row(record: Any, target: list[str], options: CopyOptions) -> list[Any] | str:
    if isinstance(record, dict):
        keys = {k.lower(): v for k, v in record.items()} if options.ignorecase else record
        return [_text(keys.get(c)) for c in target]
    if not isinstance(record, list):
        return "Invalid JSONPath format: the record is not a JSON object"
    if len(record) < len(target):
        return "Delimiter not found"
    if len(record) > len(target):
        return "Extra column(s) found"
    return [None if f == "" else f for f in record]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _log(con: Any, rejected: list[tuple[str, int, str, str, str, str]], now: float) -> None:
    when = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=now)
    for filename, line, column, raw, value, reason in rejected:
        con.execute("insert into stl_load_errors values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [when, filename, line, column, raw[:1024], None if value is None else str(value)[:1024], 1207, reason])


def copy_text(table: str, columns: list[str] | None, manifest_uri: str, role_arn: str, options: str) -> str:
    """The COPY statement Firehose runs, as it would appear in the cluster's query history."""
    cols = f" ({', '.join(columns)})" if columns else ""
    return (f"COPY {table}{cols} FROM '{manifest_uri}' CREDENTIALS 'aws_iam_role={role_arn}' MANIFEST {options}".rstrip()
            + ";")


def split_columns(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [c for c in re.split(r"\s*,\s*", text.strip()) if c]
