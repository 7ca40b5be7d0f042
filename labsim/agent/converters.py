"""The Kinesis Agent's ``dataProcessingOptions``, byte for byte as its Java converters behave.

Each converter takes one record's bytes (the line with its ``"\\n"``, or a multi-line record) and
returns the converted bytes, or ``None`` when the Java converter returns null (LOGTOJSON drops a
line its pattern does not match). The chain applies them in order, as ``AgentDataConverterChain``
does; a converter that raises makes the agent send the raw record instead (``AbstractParser``).

Java details kept on purpose (the agent's ``processing/`` package at aa0d9089):

- ``String.split(regex)``: the delimiter is a *regular expression*; trailing empty fields vanish;
  no quote handling, so ``"a,b"`` splits in two.
- Jackson's ``writeValueAsString``: compact JSON with no spaces, control characters escaped as
  ``\\n``/``\\t``... or ``\\u00XX`` (upper-case hex), non-ASCII written as UTF-8.
- Jackson's default pretty printer (``jsonFormat: PRETTYPRINT``): two-space indent and ``" : "``.
- ``ADDBRACKETS`` wraps the record in *curly* braces, newline included: ``{line\\n}``.
- ``SINGLELINE`` with ``ESCAPE_NEW_LINE`` joins the lines with the three characters ``\\\\n``.

>>> chain = ConverterChain.from_options([{"optionName": "CSVTOJSON", "customFieldNames": ["a", "b", "c"]}])
>>> chain.convert(b"1, two\\n")
b'{"a":"1","b":" two","c":null}\\n'
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any, Callable

from .errors import AgentConfigError

NEW_LINE = "\n"

OPTION_NAMES = ("ADDMETADATA", "ADDEC2METADATA", "SINGLELINE", "CSVTOJSON", "LOGTOJSON", "ADDBRACKETS", "USINGPLUGGIN")
LOG_FORMATS = ("COMMONAPACHELOG", "COMBINEDAPACHELOG", "APACHEERRORLOG", "SYSLOG", "RFC3339SYSLOG")
JSON_FORMATS = ("COMPACT", "PRETTYPRINT")
SINGLELINE_PARSE_OPTIONS = ("NO_TRIM", "ESCAPE_NEW_LINE")

# --- PatternConstants.java ------------------------------------------------------------------------
INT = r"(?:[+-]?(?:[0-9]+))"
POSINT = r"(?:[1-9][0-9]*)"
NONNEGINT = r"(?:[0-9]+)"
ANYDATA = r".*"
WORD = r"\w+"
NOQUOTE = r'[^"]+'
IP = r"(?:[\d\.]+)"
HOSTNAME = r"(?:[\w\-]+)(?:\.(?:[\w\-]+))*(?:\.?|\b)"
IPORHOST = "(?:" + HOSTNAME + "|" + IP + ")"
URIHOST = "(?:" + IPORHOST + "(?::" + POSINT + ")?)"
USER = r"(?:[a-zA-Z0-9._-]+)"
MONTHDAY = r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"
DAY = r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)"
MONTH = (r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?"
         r"|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b")
YEAR = r"(?:[1-9]\d*)"
HOUR = r"(?:2[0123]|[01]?[0-9])"
MINUTE = r"(?:[0-5][0-9])"
SECOND = r"(?:(?:[0-5]?[0-9]|60)(?:[:\.,][0-9]+)?)"
TIME = "(?:" + HOUR + ":" + MINUTE + ":" + SECOND + ")"
HTTPDATE = "(?:" + MONTHDAY + "/" + MONTH + "/" + YEAR + ":" + TIME + r"\s" + INT + ")"
APACHEERRORLOGTIMESTAMP = "(?:" + DAY + r"\s+" + MONTH + r"\s+" + MONTHDAY + r"\s+" + TIME + r"\s+" + YEAR + ")"
SYSLOGTIMESTAMP = "(?:" + MONTH + r"\s+" + MONTHDAY + r"\s+" + TIME + ")"
RFC3339 = r"(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:Z|(?:[-+]\d{2}:\d{2}))"
SYSLOGFACILITY = "<" + NONNEGINT + "." + NONNEGINT + ">"
PROG = r"([\w\._/%-]+)"
SYSLOGPROG = PROG + r"(?:\[(" + POSINT + r")\])?"
COMMON_APACHE_LOG = ("^(" + IPORHOST + ") (" + USER + ") (" + USER + r") \[(" + HTTPDATE + r")\] "
                     + '"(' + NOQUOTE + ')" (' + INT + r"|\-) (" + INT + r"|\-)")
COMBINED_APACHE_LOG = COMMON_APACHE_LOG + ' "(' + NOQUOTE + ')" "(' + NOQUOTE + ')"'
APACHE_ERROR_LOG = (r"^\[(" + APACHEERRORLOGTIMESTAMP + r")\] \[(?:(" + WORD + "):)?(" + WORD + r")\] "
                    + r"\[pid (" + NONNEGINT + ")(?::tid (" + NONNEGINT + r"))?\] \[client (" + URIHOST + r")\] "
                    + "(" + ANYDATA + ")")
SYSLOG_BASE = "^(" + SYSLOGTIMESTAMP + ") (?:" + SYSLOGFACILITY + " )?(" + USER + ") " + SYSLOGPROG + ": (" + ANYDATA + ")"
RFC3339_SYSLOG_BASE = "^(" + RFC3339 + ") (?:" + SYSLOGFACILITY + " )?(" + USER + ") " + SYSLOGPROG + ": (" + ANYDATA + ")"

COMMON_LOG_FIELDS = ("host", "ident", "authuser", "datetime", "request", "response", "bytes")
COMBINED_LOG_FIELDS = COMMON_LOG_FIELDS + ("referer", "agent")
ERROR_LOG_FIELDS = ("timestamp", "module", "severity", "processid", "threadid", "client", "message")
SYSLOG_FIELDS = ("timestamp", "hostname", "program", "processid", "message")

#: logFormat -> (regex, default field names, whether "-" means null: ApacheLogParser yes, SysLogParser no).
LOG_FORMAT_PATTERNS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "COMMONAPACHELOG": (COMMON_APACHE_LOG + ".*", COMMON_LOG_FIELDS, True),
    "COMBINEDAPACHELOG": (COMBINED_APACHE_LOG + ".*", COMBINED_LOG_FIELDS, True),
    "APACHEERRORLOG": (APACHE_ERROR_LOG, ERROR_LOG_FIELDS, True),
    "SYSLOG": (SYSLOG_BASE, SYSLOG_FIELDS, False),
    "RFC3339SYSLOG": (RFC3339_SYSLOG_BASE, SYSLOG_FIELDS, False),
}


def java_regex(pattern: str, where: str) -> re.Pattern[str]:
    """Compile a Java regex from agent.json (Java's \\w, \\d, \\s are ASCII-only: so is re.ASCII)."""
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise AgentConfigError(f"{where}: {pattern!r} is not a valid regular expression ({exc})") from None


# --- Java String.split and Jackson's output ------------------------------------------------------
def java_split(text: str, regex: re.Pattern[str]) -> list[str]:
    """``String.split(regex)`` in Java 8+: trailing empty strings removed, no leading empty match."""
    parts: list[str] = []
    start = 0
    found = False
    for m in regex.finditer(text):
        if m.end() == 0:  # a zero-width match at the very start yields no leading empty string
            continue
        found = True
        parts.append(text[start:m.start()])
        start = m.end()
    if not found:
        return [text]
    parts.append(text[start:])
    while parts and parts[-1] == "":
        parts.pop()
    return parts


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _json_string(value: str) -> str:
    def escape(m: re.Match[str]) -> str:
        ch = m.group()
        return _SHORT_ESCAPES.get(ch) or f"\\u{ord(ch):04X}"

    return '"' + _NEEDS_ESCAPE.sub(escape, value) + '"'


def _json_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else '"NaN"'
    return _json_string(str(value))


def jackson_compact(value: Any) -> str:
    """Jackson ``ObjectMapper().writeValueAsString`` (no spaces at all)."""
    if isinstance(value, dict):
        return "{" + ",".join(_json_string(str(k)) + ":" + jackson_compact(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(jackson_compact(v) for v in value) + "]"
    return _json_scalar(value)


def jackson_pretty(value: Any, depth: int = 0) -> str:
    """Jackson's ``DefaultPrettyPrinter``: objects one entry per line, ``" : "``, arrays on one line."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "  " * (depth + 1)
        inner = ",\n".join(pad + _json_string(str(k)) + " : " + jackson_pretty(v, depth + 1) for k, v in value.items())
        return "{\n" + inner + "\n" + "  " * depth + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(jackson_pretty(v, depth) for v in value) + " ]"
    return _json_scalar(value)


def _printer(option: dict[str, Any], where: str) -> Callable[[Any], str]:
    fmt = option.get("jsonFormat", "COMPACT")
    if fmt not in JSON_FORMATS:
        raise AgentConfigError(f"{where}.jsonFormat: {fmt!r} is not one of {', '.join(JSON_FORMATS)}")
    return jackson_pretty if fmt == "PRETTYPRINT" else jackson_compact


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")  # Java decodes malformed UTF-8 to U+FFFD too


def _strip_newline(text: str) -> str:
    return text[:-1] if text.endswith(NEW_LINE) else text


def _string_list(option: dict[str, Any], key: str, where: str, required: bool) -> list[str] | None:
    value = option.get(key)
    if value is None:
        if required:
            raise AgentConfigError(f"{where}: {option.get('optionName')} needs {key!r} (a list of field names)")
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AgentConfigError(f"{where}.{key}: must be a list of strings, got {value!r}")
    return value


# --- the converters ---------------------------------------------------------------------------------
class CsvToJson:
    """CSVToJSONDataConverter: column i -> customFieldNames[i] (null when missing, extras ignored)."""

    __slots__ = ("fields", "delimiter", "_regex", "_print")

    def __init__(self, option: dict[str, Any], where: str) -> None:
        self.fields = _string_list(option, "customFieldNames", where, required=True)
        self.delimiter = option.get("delimiter", ",")
        if not isinstance(self.delimiter, str) or not self.delimiter:
            raise AgentConfigError(f"{where}.delimiter: must be a non-empty string (a Java regex), got {self.delimiter!r}")
        self._regex = java_regex(self.delimiter, f"{where}.delimiter")
        self._print = _printer(option, where)

    def convert(self, data: bytes) -> bytes | None:
        columns = java_split(_strip_newline(_text(data)), self._regex)
        record = {name: (columns[i] if i < len(columns) else None) for i, name in enumerate(self.fields)}
        return (self._print(record) + NEW_LINE).encode("utf-8")


class LogToJson:
    """LogToJSONDataConverter: full match of the format's regex; a line that does not match is dropped."""

    __slots__ = ("fields", "_regex", "_dash_is_null", "_print")

    def __init__(self, option: dict[str, Any], where: str) -> None:
        fmt = option.get("logFormat")
        if fmt not in LOG_FORMATS:
            raise AgentConfigError(f"{where}.logFormat: {fmt!r} is not one of {', '.join(LOG_FORMATS)} (LOGTOJSON needs one)")
        pattern, fields, self._dash_is_null = LOG_FORMAT_PATTERNS[fmt]
        custom = _string_list(option, "customFieldNames", where, required=False)
        match_pattern = option.get("matchPattern")
        if match_pattern is not None:
            if custom is None:
                raise AgentConfigError(f"{where}: customFieldNames must be specified when matchPattern is specified")
            if not isinstance(match_pattern, str):
                raise AgentConfigError(f"{where}.matchPattern: must be a string (a Java regex), got {match_pattern!r}")
            pattern, fields = match_pattern, tuple(custom)
        elif custom is not None:
            if len(custom) != len(fields):
                raise AgentConfigError(
                    f"{where}.customFieldNames: {fmt} has {len(fields)} fields ({', '.join(fields)}), you gave "
                    f"{len(custom)}. Invalid custom field names for the selected log format: give {len(fields)} "
                    "names or specify the matchPattern"
                )
            fields = tuple(custom)
        self.fields = fields
        self._regex = java_regex(pattern, f"{where}.matchPattern" if match_pattern is not None else f"{where}.logFormat")
        self._print = _printer(option, where)

    def parse(self, line: str) -> dict[str, Any] | None:
        m = self._regex.fullmatch(line)
        if m is None or self._regex.groups != len(self.fields):
            return None
        values = m.groups()
        if self._dash_is_null:
            values = tuple(None if v == "-" else v for v in values)
        return dict(zip(self.fields, values))

    def convert(self, data: bytes) -> bytes | None:
        record = self.parse(_strip_newline(_text(data)))
        if record is None:
            return None
        return (self._print(record) + NEW_LINE).encode("utf-8")


def _java_trim(text: str) -> str:
    return text.strip("".join(chr(c) for c in range(33)))


class SingleLine:
    """SingleLineDataConverter: split on "\\n", trim each line (unless NO_TRIM), join, add "\\n"."""

    __slots__ = ("no_trim", "escape_new_line")

    def __init__(self, option: dict[str, Any], where: str) -> None:
        opts = _string_list(option, "parseOptions", where, required=False) or []
        unknown = [o for o in opts if o not in SINGLELINE_PARSE_OPTIONS]
        if unknown:
            raise AgentConfigError(f"{where}.parseOptions: {unknown} not allowed; use {', '.join(SINGLELINE_PARSE_OPTIONS)}")
        self.no_trim = "NO_TRIM" in opts
        self.escape_new_line = "ESCAPE_NEW_LINE" in opts

    def convert(self, data: bytes) -> bytes | None:
        lines = java_split(_text(data), re.compile("\n"))
        if not self.no_trim:
            lines = [_java_trim(line) for line in lines]
        joiner = "\\\\n" if self.escape_new_line else ""
        return (joiner.join(lines) + NEW_LINE).encode("utf-8")


class AddMetadata:
    """AddMetadataConverter: {"ts": ..., "metadata": ..., "data": record without its newline}."""

    __slots__ = ("metadata", "timestamp", "_now", "_print")

    def __init__(self, option: dict[str, Any], where: str, now: Callable[[], float]) -> None:
        ts = option.get("timestamp")
        if ts is not None and not isinstance(ts, str):
            # Java casts the value to String: a JSON true fails there. Say how to write it.
            raise AgentConfigError(f"{where}.timestamp: write it as a string, \"true\" or \"false\" (got {ts!r})")
        self.timestamp = ts is not None and ts.lower() == "true"  # new Boolean(String)
        self.metadata = option.get("metadata")
        self._now = now
        self._print = _printer(option, where)

    def convert(self, data: bytes) -> bytes | None:
        record: dict[str, Any] = {}
        if self.timestamp:
            moment = _dt.datetime.fromtimestamp(self._now(), tz=_dt.timezone.utc)
            record["ts"] = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        record["metadata"] = self.metadata
        record["data"] = _strip_newline(_text(data))
        return (self._print(record) + NEW_LINE).encode("utf-8")


class AddEc2Metadata:
    """AddEC2MetadataConverter: parse the record as a JSON object and add the instance identity to it.

    A record that is not a JSON object makes the Java converter throw, so the raw record is sent.
    The identity is the lab's (``ec2_identity``): the lab runs on no EC2 instance.
    """

    __slots__ = ("identity", "_print")

    def __init__(self, option: dict[str, Any], where: str, identity: dict[str, Any]) -> None:
        self.identity = identity
        self._print = _printer(option, where)

    def convert(self, data: bytes) -> bytes | None:
        if not self.identity:
            return data  # "Unable to append metadata, no metadata found"
        record = json.loads(_text(data))
        if not isinstance(record, dict):
            raise ValueError("Error converting json source data to map")
        record.update(self.identity)  # LinkedHashMap.putAll: existing keys keep their place
        return (self._print(record) + NEW_LINE).encode("utf-8")


class AddBrackets:
    """BracketsDataConverter: "{" + record + "}" (curly braces, the record's newline stays inside)."""

    __slots__ = ()

    def convert(self, data: bytes) -> bytes | None:
        return b"{" + data + b"}"


class ConverterChain:
    """AgentDataConverterChain: converters in order; a ``None`` stops the chain (record dropped)."""

    __slots__ = ("converters", "errors")

    def __init__(self, converters: list[Any]) -> None:
        self.converters = converters
        self.errors = 0  # records sent raw because a converter raised (DataProcessingErrors)

    @classmethod
    def from_options(cls, options: Any, where: str = "dataProcessingOptions", *,
                     now: Callable[[], float] | None = None, ec2_identity: dict[str, Any] | None = None) -> "ConverterChain":
        if options is None:
            return cls([])
        if not isinstance(options, list):
            raise AgentConfigError(f"{where}: must be a list of {{\"optionName\": ...}} objects, got {options!r}")
        out: list[Any] = []
        for i, option in enumerate(options):
            here = f"{where}[{i}]"
            if not isinstance(option, dict):
                raise AgentConfigError(f"{here}: must be an object with an optionName, got {option!r}")
            name = option.get("optionName")
            if name not in OPTION_NAMES:
                raise AgentConfigError(f"{here}.optionName: {name!r} is not one of {', '.join(OPTION_NAMES)}")
            if name == "CSVTOJSON":
                out.append(CsvToJson(option, here))
            elif name == "LOGTOJSON":
                out.append(LogToJson(option, here))
            elif name == "SINGLELINE":
                out.append(SingleLine(option, here))
            elif name == "ADDMETADATA":
                out.append(AddMetadata(option, here, now or (lambda: 0.0)))
            elif name == "ADDEC2METADATA":
                out.append(AddEc2Metadata(option, here, ec2_identity or {}))
            elif name == "ADDBRACKETS":
                out.append(AddBrackets())
            else:
                raise AgentConfigError(f"{here}.optionName: USINGPLUGGIN loads a Java class; the lab's agent cannot")
        return cls(out)

    def convert(self, data: bytes) -> bytes | None:
        """The converted record, ``None`` if a converter dropped it, the raw record if one raised."""
        result: bytes | None = data
        try:
            for converter in self.converters:
                result = converter.convert(result)
                if result is None:
                    return None
        except Exception:  # AbstractParser.buildRecord: "Unable to convert data", send it unconverted
            self.errors += 1
            return data
        return result
