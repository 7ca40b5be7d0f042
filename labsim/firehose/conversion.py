"""Record format conversion: JSON in, Parquet or ORC out, with a Glue table's schema (kinesis-facts 7.4).

``DataFormatConversionConfiguration`` on an ExtendedS3 destination turns each delivery into one
columnar object. ``check_configuration`` applies the API's rules when the stream is created or
updated (one deserializer, one serializer, a SchemaConfiguration; ``config`` enforces the 64 MiB
minimum buffer and the UNCOMPRESSED outer CompressionFormat). ``ColumnarWriter`` wraps the
destination's ``S3Writer``: at delivery it reads the Glue table version as the delivery role
(``glue:GetTableVersions``, checked with ``labsim.iam.authorize``), parses every record with the
chosen JSON SerDe, writes the rows that fit the schema as one ``.parquet`` / ``.orc`` object (pyarrow
writes it: any Parquet/ORC reader, DuckDB included, reads it back) and the rows that do not under
``format-conversion-failed/`` as the documented JSON (record-format-conversion-error-handling.html:
``attemptsMade``, ``arrivalTimestamp``, ``ErrorCode``, ``ErrorMessage``, ``attemptEndingTimestamp``,
``rawData``, ``sequenceNumber``, ``subSequenceNumber``, ``dataCatalogTable``; the 2023 guide named the
code fields ``lastErrorCode`` / ``lastErrorMessage``).

Deserializers, as the Firehose guide documents them:

- OpenX JSON SerDe: keys matched case-insensitively by default (``CaseInsensitive``), dots in keys
  turned into underscores when ``ConvertDotsInJsonKeysToUnderscores``, ``ColumnToJsonKeyMappings``
  maps a column to a JSON key whose name is not a valid column name. Lenient with types: a numeric
  string fills a numeric column. Timestamps: ``yyyy-MM-dd'T'HH:mm:ss[.S]Z``,
  ``yyyy-[M]M-[d]d HH:mm:ss[.S]``, epoch seconds, epoch milliseconds, fractional epoch seconds.
- Hive JSON SerDe: keys as they are, strict types (a string in a numeric column fails the row),
  no dots in column names; timestamps with ``TimestampFormats`` (Joda patterns, or ``millis`` for
  epoch milliseconds), else ``java.sql.Timestamp.valueOf`` (``yyyy-[m]m-[d]d hh:mm:ss[.f...]``).

labsim's assumptions (not published): each Firehose record is one JSON object (a Lambda in front
can split lines), error codes are those the Firehose CloudWatch Logs error list uses
(``DataFormatConversion.MalformedData`` for a row, ``DataFormatConversion.EntityNotFound`` /
``AccessDenied`` for the table), and a table that cannot be read fails the delivery attempt, which is
retried like any S3 delivery.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import re
from typing import Any

from labsim import _moto, quotas

from . import prefixes
from .errors import InvalidArgumentError

ERROR_TYPE = "format-conversion-failed"
PARQUET_CODECS = {"UNCOMPRESSED": "none", "GZIP": "gzip", "SNAPPY": "snappy"}
ORC_CODECS = {"NONE": "uncompressed", "ZLIB": "zlib", "SNAPPY": "snappy"}


class ConversionFailure(Exception):
    """One record that does not convert: (error code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- configuration -------------------------------------------------------------------------------
def enabled(config: dict[str, Any]) -> bool:
    """Conversion is on when the block is present and Enabled is not false (the API's default is true)."""
    block = config.get("DataFormatConversionConfiguration")
    return bool(block) and block.get("Enabled", True) is not False


def check_configuration(config: dict[str, Any]) -> None:
    """The rules the API model cannot express; raises InvalidArgumentError with the fix."""
    block = config["DataFormatConversionConfiguration"]
    schema = block.get("SchemaConfiguration") or {}
    missing = [k for k in ("RoleARN", "DatabaseName", "TableName") if not schema.get(k)]
    if missing:
        raise InvalidArgumentError(
            f"DataFormatConversionConfiguration.SchemaConfiguration must name {', '.join(missing)}: Firehose reads "
            "the record schema from that AWS Glue table, as that role.")
    deserializer = (block.get("InputFormatConfiguration") or {}).get("Deserializer") or {}
    given = [k for k in ("OpenXJsonSerDe", "HiveJsonSerDe") if k in deserializer]
    if len(given) != 1:
        raise InvalidArgumentError(
            "InputFormatConfiguration.Deserializer must set exactly one of OpenXJsonSerDe or HiveJsonSerDe; "
            f"got {len(given)}.")
    serializer = (block.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    given = [k for k in ("ParquetSerDe", "OrcSerDe") if k in serializer]
    if len(given) != 1:
        raise InvalidArgumentError(
            f"OutputFormatConfiguration.Serializer must set exactly one of ParquetSerDe or OrcSerDe; got {len(given)}.")


def extension(config: dict[str, Any]) -> str:
    serializer = config["DataFormatConversionConfiguration"]["OutputFormatConfiguration"]["Serializer"]
    return ".parquet" if "ParquetSerDe" in serializer else ".orc"


# -- Glue schema ---------------------------------------------------------------------------------
_SIMPLE = {
    "string": "string", "varchar": "string", "char": "string", "boolean": "bool_", "tinyint": "int8",
    "smallint": "int16", "int": "int32", "integer": "int32", "bigint": "int64", "float": "float32",
    "double": "float64", "date": "date32", "timestamp": "timestamp", "binary": "binary",
}


def arrow_type(hive: str) -> Any:
    """A Hive/Glue column type (``int``, ``decimal(10,2)``, ``array<struct<a:int>>``...) as a pyarrow type."""
    import pyarrow as pa

    text = hive.strip().lower()
    base = re.match(r"[a-z]+", text)
    name = base.group(0) if base else ""
    if name in ("varchar", "char", "string"):
        return pa.string()
    if name == "timestamp":
        return pa.timestamp("ms")
    if name == "decimal":
        m = re.fullmatch(r"decimal\s*(?:\(\s*(\d+)\s*,\s*(\d+)\s*\))?", text)
        if not m:
            raise ValueError(f"cannot read the column type {hive!r}")
        return pa.decimal128(int(m.group(1) or 10), int(m.group(2) or 0))
    if name in _SIMPLE and text == name:
        return getattr(pa, _SIMPLE[name])()
    inner = text[len(name):].strip()
    if not (inner.startswith("<") and inner.endswith(">")):
        raise ValueError(f"cannot read the column type {hive!r}")
    parts = _split_top(inner[1:-1])
    if name == "array" and len(parts) == 1:
        return pa.list_(arrow_type(parts[0]))
    if name == "map" and len(parts) == 2:
        return pa.map_(arrow_type(parts[0]), arrow_type(parts[1]))
    if name == "struct":
        fields = []
        for part in parts:
            field, _, kind = part.partition(":")
            fields.append(pa.field(field.strip(), arrow_type(kind)))
        return pa.struct(fields)
    raise ValueError(f"cannot read the column type {hive!r}")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside <> or ()."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


class TableSchema:
    """The columns of the Glue table version Firehose read, and where it came from."""

    __slots__ = ("columns", "catalog", "version_id", "region")

    def __init__(self, columns: list[tuple[str, str]], catalog: dict[str, str], version_id: str, region: str) -> None:
        self.columns = columns
        self.catalog = catalog
        self.version_id = version_id
        self.region = region

    def data_catalog_table(self) -> dict[str, str]:
        return dict(self.catalog)


def read_schema(context: Any, account_id: str, region: str, schema_config: dict[str, Any]) -> TableSchema:
    """Read the table version as Firehose does, as the delivery role; ConversionFailure if it cannot."""
    from labsim import iam

    region = schema_config.get("Region") or region
    catalog_id = schema_config.get("CatalogId") or account_id
    database, table = schema_config["DatabaseName"], schema_config["TableName"]
    table_arn = f"arn:aws:glue:{region}:{catalog_id}:table/{database}/{table}"
    try:
        iam.authorize(context, schema_config["RoleARN"], "glue:GetTableVersions", table_arn, via="firehose.amazonaws.com")
    except iam.AccessDenied as exc:
        raise ConversionFailure("DataFormatConversion.AccessDenied", str(exc)) from None
    glue = _moto.get_backend("glue")[catalog_id][region]
    try:
        found = glue.get_table(database, table)
    except Exception:
        raise ConversionFailure(
            "DataFormatConversion.EntityNotFound",
            f"The specified table/database could not be found: {database}.{table} in the Glue Data Catalog of "
            f"{catalog_id} ({region}). Create it with glue.create_database / glue.create_table.") from None
    wanted = schema_config.get("VersionId") or "LATEST"
    version = str(max(int(v) for v in found.versions)) if wanted == "LATEST" else str(wanted)
    if version not in found.versions:
        raise ConversionFailure("DataFormatConversion.EntityNotFound",
                                f"Version {version} of the Glue table {database}.{table} does not exist.")
    described = found.versions[version]
    columns = [(c["Name"].lower(), c["Type"]) for c in described.get("StorageDescriptor", {}).get("Columns", [])]
    if not columns:
        raise ConversionFailure("DataFormatConversion.NonExistentColumns",
                                f"The Glue table {database}.{table} has no columns: give its StorageDescriptor Columns.")
    catalog = {"catalogId": catalog_id, "databaseName": database, "tableName": table, "region": region,
               "versionId": version, "catalogArn": f"arn:aws:glue:{region}:{catalog_id}:catalog"}
    return TableSchema(columns, catalog, version, region)


# -- deserializers -------------------------------------------------------------------------------
_ISO_Z = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_SQL = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?")


def _from_match(m: re.Match[str]) -> _dt.datetime:
    frac = (m.group(7) or "0").ljust(6, "0")[:6]
    return _dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                        int(m.group(6)), int(frac))


_JODA = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%f"),
         ("yy", "%y"), ("Z", "%z"), ("'T'", "T")]


def _joda_to_strptime(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        for joda, py in _JODA:
            if pattern.startswith(joda, i):
                out += py
                i += len(joda)
                break
        else:
            out += pattern[i].replace("%", "%%")
            i += 1
    return out


class JsonDeserializer:
    """OpenX or Hive JSON SerDe rules: a record's bytes -> one row of Python values in column order."""

    __slots__ = ("kind", "case_insensitive", "dots", "mappings", "formats")

    def __init__(self, deserializer: dict[str, Any]) -> None:
        self.kind = "OpenX" if "OpenXJsonSerDe" in deserializer else "Hive"
        openx = deserializer.get("OpenXJsonSerDe") or {}
        self.case_insensitive = openx.get("CaseInsensitive", True) if self.kind == "OpenX" else False
        self.dots = bool(openx.get("ConvertDotsInJsonKeysToUnderscores", False))
        self.mappings = {k.lower(): v for k, v in (openx.get("ColumnToJsonKeyMappings") or {}).items()}
        self.formats = list((deserializer.get("HiveJsonSerDe") or {}).get("TimestampFormats") or [])

    def row(self, data: bytes, columns: list[tuple[str, Any]]) -> list[Any]:
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise ConversionFailure("DataFormatConversion.MalformedData", f"The record is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ConversionFailure("DataFormatConversion.MalformedData",
                                    f"The record is a JSON {type(doc).__name__}, not an object: one JSON object per record.")
        keys = self._keys(doc)
        out = []
        for name, kind in columns:
            key = self.mappings.get(name)
            value = doc.get(key) if key is not None else keys.get(name)
            try:
                out.append(self._value(value, kind))
            except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
                raise ConversionFailure("DataFormatConversion.MalformedData",
                                        f"Column '{name}' ({kind}): cannot convert {json.dumps(value)[:80]}: {exc}") from None
        return out

    def _keys(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in doc.items():
            name = key.replace(".", "_") if self.dots else key
            out[name.lower() if self.case_insensitive else name] = value
        return out

    def _value(self, value: Any, kind: Any) -> Any:
        import pyarrow as pa

        if value is None:
            return None
        strict = self.kind == "Hive"
        if pa.types.is_string(kind):
            return value if isinstance(value, str) else json.dumps(value)
        if pa.types.is_boolean(kind):
            if isinstance(value, bool):
                return value
            if not strict and isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError("not a boolean")
        if pa.types.is_integer(kind):
            if isinstance(value, bool) or (strict and not isinstance(value, int)):
                raise ValueError("not an integer")
            number = int(value) if isinstance(value, int) else int(str(value))
            bits = kind.bit_width - 1
            if not -(2 ** bits) <= number < 2 ** bits:
                raise ValueError(f"out of range for {kind}")
            return number
        if pa.types.is_floating(kind):
            if isinstance(value, bool) or (strict and not isinstance(value, (int, float))):
                raise ValueError("not a number")
            return float(value)
        if pa.types.is_decimal(kind):
            import decimal

            if strict and not isinstance(value, (int, float)):
                raise ValueError("not a number")
            return decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-kind.scale))
        if pa.types.is_timestamp(kind):
            return self._timestamp(value)
        if pa.types.is_date32(kind):
            return _dt.date.fromisoformat(str(value)[:10])
        if pa.types.is_binary(kind):
            return base64.b64decode(value) if isinstance(value, str) else bytes(value)
        if pa.types.is_list(kind):
            if not isinstance(value, list):
                raise ValueError("not an array")
            return [self._value(v, kind.value_type) for v in value]
        if pa.types.is_map(kind):
            if not isinstance(value, dict):
                raise ValueError("not an object")
            return [(k, self._value(v, kind.item_type)) for k, v in value.items()]
        if pa.types.is_struct(kind):
            if not isinstance(value, dict):
                raise ValueError("not an object")
            keys = self._keys(value)
            return {f.name: self._value(keys.get(f.name if not self.case_insensitive else f.name.lower()), f.type)
                    for f in kind}
        raise ValueError(f"unsupported type {kind}")

    def _timestamp(self, value: Any) -> _dt.datetime:
        if self.kind == "OpenX":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                seconds = value / 1000 if isinstance(value, int) and abs(value) >= 10 ** 11 else value
                return _epoch(seconds)
            text = str(value)
            if re.fullmatch(r"-?\d+", text):
                number = int(text)
                return _epoch(number / 1000 if abs(number) >= 10 ** 11 else number)
            if re.fullmatch(r"-?\d+\.\d+", text):
                return _epoch(float(text))
            for pattern in (_ISO_Z, _SQL):
                m = pattern.fullmatch(text)
                if m:
                    return _from_match(m)
            raise ValueError("not a timestamp the OpenX JSON SerDe reads")
        text = str(value)
        for fmt in self.formats:
            if fmt == "millis":
                if re.fullmatch(r"-?\d+", text):
                    return _epoch(int(text) / 1000)
                continue
            try:
                parsed = _dt.datetime.strptime(text, _joda_to_strptime(fmt))
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            return parsed
        m = _SQL.fullmatch(text)
        if m:
            return _from_match(m)
        tried = ", ".join(self.formats) if self.formats else "java.sql.Timestamp.valueOf (yyyy-mm-dd hh:mm:ss[.f])"
        raise ValueError(f"matches none of the timestamp formats ({tried})")


def _epoch(seconds: float) -> _dt.datetime:
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=seconds)


# -- serializers ---------------------------------------------------------------------------------
def serialize(rows: list[list[Any]], columns: list[tuple[str, Any]], serializer: dict[str, Any]) -> bytes:
    """The rows as one Parquet or ORC file, with the serializer's options."""
    import pyarrow as pa

    schema = pa.schema([pa.field(name, kind) for name, kind in columns])
    table = pa.Table.from_pylist([dict(zip((c for c, _ in columns), r)) for r in rows], schema=schema)
    sink = io.BytesIO()
    if "ParquetSerDe" in serializer:
        import pyarrow.parquet as pq

        opts = serializer["ParquetSerDe"] or {}
        pq.write_table(
            table, sink,
            compression=PARQUET_CODECS[opts.get("Compression", "SNAPPY")],
            data_page_size=opts.get("PageSizeBytes", quotas.FIREHOSE_PARQUET_PAGE_BYTES_DEFAULT),
            row_group_size=max(1, len(rows)),  # one delivery is at most one block (>= 64 MiB)
            use_dictionary=bool(opts.get("EnableDictionaryCompression", False)),
            data_page_version="2.0" if opts.get("WriterVersion") == "V2" else "1.0",
        )
    else:
        import pyarrow.orc as orc

        opts = serializer["OrcSerDe"] or {}
        orc.write_table(
            table, sink,
            compression=ORC_CODECS[opts.get("Compression", "SNAPPY")],
            stripe_size=opts.get("StripeSizeBytes", quotas.FIREHOSE_ORC_STRIPE_BYTES_DEFAULT),
            row_index_stride=opts.get("RowIndexStride", quotas.FIREHOSE_ORC_ROW_INDEX_STRIDE_DEFAULT),
            file_version="0.11" if opts.get("FormatVersion") == "V0_11" else "0.12",
            bloom_filter_columns=[i for i, (c, _) in enumerate(columns) if c in (opts.get("BloomFilterColumns") or [])],
            bloom_filter_fpp=opts.get("BloomFilterFalsePositiveProbability", 0.05),
            dictionary_key_size_threshold=opts.get("DictionaryKeyThreshold", 0.0),
        )
    return sink.getvalue()


# -- the writer ----------------------------------------------------------------------------------
class ColumnarWriter:
    """Wraps the stream's S3Writer: convert, write the columnar object, send failed rows to the error prefix."""

    metric = "DeliveryToS3"
    __slots__ = ("s3writer", "context", "account_id", "region", "block", "deserializer", "converted", "failed")

    def __init__(self, s3writer: Any, context: Any, account_id: str, region: str) -> None:
        import copy

        # Objects are named .parquet / .orc (FileExtension overrides): on this writer's own copy of the settings,
        # so error documents written by other writers of the stream keep theirs.
        dest = copy.copy(s3writer.dest)
        if dest.file_extension is None:
            dest.file_extension = extension(dest.config)
        s3writer.dest = dest
        self.s3writer = s3writer
        self.context = context
        self.account_id = account_id
        self.region = region
        self.block = s3writer.dest.config["DataFormatConversionConfiguration"]
        self.deserializer = JsonDeserializer(self.block["InputFormatConfiguration"]["Deserializer"])
        self.converted = 0  # rows written as Parquet/ORC
        self.failed = 0  # rows written to format-conversion-failed/

    def retry_window(self) -> float:
        return self.s3writer.retry_window()

    def deliver(self, batch: Any, now: float) -> tuple[str, str] | None:
        from .delivery import Batch

        try:
            table = read_schema(self.context, self.account_id, self.region, self.block["SchemaConfiguration"])
            columns = [(name, arrow_type(kind)) for name, kind in table.columns]
        except ConversionFailure as exc:
            return (exc.code, exc.message)
        except ValueError as exc:
            return ("DataFormatConversion.InvalidSchema", f"The Glue table's schema cannot be used: {exc}")
        good: list[list[Any]] = []
        kept: list[int] = []
        bad: list[tuple[int, ConversionFailure]] = []
        for i, data in enumerate(batch.records):
            try:
                good.append(self.deserializer.row(data, columns))
                kept.append(i)
            except ConversionFailure as exc:
                bad.append((i, exc))
        add = self.s3writer.metrics.add
        stream = self.s3writer.stream
        if bad and batch.attempts == 1:  # written once, not again on a retry of the columnar object
            error = self._write_failures(batch, bad, table, now)
            if error is not None:
                return error
            self.failed += len(bad)
        add(now, stream, "FailedConversion.Records", float(len(bad)))
        add(now, stream, "FailedConversion.Bytes", float(sum(len(batch.records[i]) for i, _ in bad)))
        add(now, stream, "SucceedConversion.Records", float(len(good)))
        if not good:
            return None
        body = serialize(good, columns, self.block["OutputFormatConfiguration"]["Serializer"])
        rows = Batch([batch.records[i] for i in kept], [batch.arrivals[i] for i in kept],
                     sum(len(batch.records[i]) for i in kept))
        add(now, stream, "SucceedConversion.Bytes", float(rows.nbytes))
        error = self.s3writer.write(rows, body, self.s3writer.dest.prefix, now)
        if error is None:
            self.converted += len(good)
            self.s3writer.objects += 1
            add(now, stream, "DeliveryToS3.Records", float(len(rows)))
            add(now, stream, "DeliveryToS3.Bytes", float(len(body)))
            add(now, stream, "DeliveryToS3.ObjectCount", 1.0)
        return error

    def _write_failures(self, batch: Any, bad: list[tuple[int, ConversionFailure]], table: TableSchema | None,
                        now: float) -> tuple[str, str] | None:
        lines = []
        for i, exc in bad:
            lines.append(json.dumps({
                "attemptsMade": batch.attempts, "arrivalTimestamp": int(batch.arrivals[i] * 1000),
                "ErrorCode": exc.code, "ErrorMessage": exc.message, "attemptEndingTimestamp": int(now * 1000),
                "rawData": base64.b64encode(batch.records[i]).decode("ascii"),
                "sequenceNumber": None, "subSequenceNumber": None,
                "dataCatalogTable": table.data_catalog_table() if table is not None else None,
            }))
        w = self.s3writer
        dest = w.dest
        prefix = prefixes.error_prefix_for(dest.prefix, dest.error_prefix, ERROR_TYPE)
        oldest = min(batch.arrivals[i] for i, _ in bad)
        where = prefixes.render(prefix, oldest, dest.time_zone, random_string=w.naming.random_string(), error_type=ERROR_TYPE)
        key = where + prefixes.object_name(w.stream, w.version(), oldest, dest.time_zone, w.naming.uuid(), "")
        return w.s3.put(dest.bucket, key, ("\n".join(lines) + "\n").encode())

    def give_up(self, batch: Any, now: float, error: tuple[str, str]) -> None:
        self.s3writer.give_up(batch, now, error)
