"""Where Firehose puts an object in S3: prefixes, their expressions, and object names.

The rules (kinesis-facts 7.6; FH-DG23 ``s3-prefixes.md``, ``basic-deliver.md``):

- Default prefix ``YYYY/MM/dd/HH/`` in UTC (or ``CustomTimeZone``), from the **arrival time of the
  oldest record in the object**, not the delivery time; every timestamp in one prefix is that instant.
- ``!{timestamp:<Java DateTimeFormatter pattern>}``, ``!{firehose:random-string}`` (11 characters, new
  per object) and, in ErrorOutputPrefix only, ``!{firehose:error-output-type}``.
- A Prefix without a timestamp expression gets ``!{timestamp:yyyy/MM/dd/HH/}`` appended, with no
  slash added in between (``Prefix="clicks"`` gives ``clicks2026/01/01/00/``).
- A Prefix that uses expressions needs an ErrorOutputPrefix; an ErrorOutputPrefix that uses
  expressions must contain ``!{firehose:error-output-type}`` (a static one is allowed).
- Object name ``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>``.

>>> import datetime as dt
>>> t = dt.datetime(2026, 3, 9, 7, 5, 2, tzinfo=dt.timezone.utc).timestamp()
>>> java_format(t, "yyyy/MM/dd/HH/", "UTC")
'2026/03/09/07/'
>>> java_format(t, "'year='yyyy'/month='MM", "UTC")
'year=2026/month=03'
>>> render("clicks/", t, "UTC", random_string="abc")
'clicks/2026/03/09/07/'
>>> render("clicks/!{timestamp:yyyy-MM-dd}/", t, "UTC", random_string="abc")
'clicks/2026-03-09/'
>>> object_name("clicks", 1, t, "UTC", "0-1-2", ".gz")
'clicks-1-2026-03-09-07-05-02-0-1-2.gz'
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Callable
from zoneinfo import ZoneInfo

from .errors import InvalidArgumentError

EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
DEFAULT_TIMESTAMP = "yyyy/MM/dd/HH/"
ERROR_OUTPUT_TYPE = "!{firehose:error-output-type}"
EXTENSIONS = {"UNCOMPRESSED": "", "GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".hsnappy"}

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _field(letter: str, n: int, t: _dt.datetime) -> str:
    """One DateTimeFormatter field: ``letter`` repeated ``n`` times."""
    if letter in "yu":
        return f"{t.year % 100:02d}" if n == 2 else f"{t.year:0{n}d}"
    if letter in "ML":
        return _MONTHS[t.month - 1][:3] if n == 3 else _MONTHS[t.month - 1] if n >= 4 else f"{t.month:0{n}d}"
    simple: dict[str, Callable[[], int]] = {
        "d": lambda: t.day, "H": lambda: t.hour, "m": lambda: t.minute, "s": lambda: t.second,
        "D": lambda: t.timetuple().tm_yday, "h": lambda: (t.hour % 12) or 12, "k": lambda: t.hour or 24,
        "K": lambda: t.hour % 12, "e": lambda: t.isoweekday(), "w": lambda: t.isocalendar()[1],
    }
    if letter in simple:
        return f"{simple[letter]():0{n}d}"
    if letter == "S":
        return f"{t.microsecond:06d}{'0' * max(0, n - 6)}"[:n]
    if letter == "a":
        return "AM" if t.hour < 12 else "PM"
    if letter == "E":
        return _DAYS[t.weekday()][:3] if n <= 3 else _DAYS[t.weekday()]
    if letter in "XZ":
        off = t.strftime("%z")
        return "Z" if letter == "X" and off == "+0000" else off
    raise InvalidArgumentError(
        f"The pattern letter '{letter}' is not supported in a !{{timestamp:...}} expression: use Java "
        "DateTimeFormatter letters such as yyyy, MM, dd, HH, mm, ss, and quote literal text with '...'."
    )


def java_format(epoch: float, pattern: str, zone: str) -> str:
    """Format ``epoch`` with a Java DateTimeFormatter ``pattern`` in time zone ``zone``."""
    t = _dt.datetime.fromtimestamp(epoch, tz=_tz(zone))
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise InvalidArgumentError(f"Unterminated quote in timestamp pattern {pattern!r}.")
            out.append(pattern[i + 1:end] if end > i + 1 else "'")
            i = end + 1
        elif c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            out.append(_field(c, j - i, t))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _tz(zone: str) -> _dt.tzinfo:
    if not zone or zone == "UTC":
        return _dt.timezone.utc
    try:
        return ZoneInfo(zone)
    except Exception:
        raise InvalidArgumentError(f"CustomTimeZone {zone!r} is not a time zone name such as 'UTC' or 'Asia/Tokyo'.") from None


def expressions(prefix: str) -> list[tuple[str, str]]:
    return EXPRESSION.findall(prefix or "")


def check_prefixes(prefix: str, error_prefix: str | None, zone: str, dynamic_partitioning: bool) -> None:
    """The docs' semantic rules for Prefix / ErrorOutputPrefix, as InvalidArgumentException."""
    _tz(zone)
    for name, text in (("Prefix", prefix), ("ErrorOutputPrefix", error_prefix or "")):
        if text.count("!{") != len(expressions(text)):
            raise InvalidArgumentError(f"{name} {text!r} has a malformed expression: write !{{namespace:value}}.")
        for namespace, value in expressions(text):
            if namespace == "timestamp":
                java_format(0, value, zone)
            elif namespace == "firehose":
                allowed = ("random-string", "error-output-type") if name == "ErrorOutputPrefix" else ("random-string",)
                if value not in allowed:
                    raise InvalidArgumentError(
                        f"!{{firehose:{value}}} is not allowed in {name}: use "
                        + " or ".join(f"!{{firehose:{a}}}" for a in allowed) + "."
                    )
            elif namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
                if not dynamic_partitioning or name != "Prefix":
                    raise InvalidArgumentError(
                        f"!{{{namespace}:{value}}} needs dynamic partitioning enabled and is allowed in Prefix only."
                    )
            else:
                raise InvalidArgumentError(f"Unknown namespace '{namespace}' in {name}: use timestamp or firehose.")
    if expressions(prefix) and not error_prefix:
        raise InvalidArgumentError(
            "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions: "
            "add an ErrorOutputPrefix such as 'errors/!{firehose:error-output-type}/'."
        )
    if error_prefix and expressions(error_prefix) and ERROR_OUTPUT_TYPE not in error_prefix:
        raise InvalidArgumentError(
            "ErrorOutputPrefix must contain !{firehose:error-output-type} when it uses expressions "
            f"(got {error_prefix!r})."
        )


def render(prefix: str, epoch: float, zone: str, *, random_string: str, error_type: str | None = None,
           default_timestamp: bool = True) -> str:
    """Evaluate ``prefix`` for an object whose oldest record arrived at ``epoch``.

    ``default_timestamp=False``: no ``yyyy/MM/dd/HH/`` appended (a dynamically partitioned prefix,
    whose partition keys ``labsim.firehose.partitioning.fill`` has put in already)."""
    text = prefix or ""
    if default_timestamp and not any(ns == "timestamp" for ns, _ in expressions(text)):
        text += "!{timestamp:" + DEFAULT_TIMESTAMP + "}"

    def sub(m: re.Match[str]) -> str:
        namespace, value = m.group(1), m.group(2)
        if namespace == "timestamp":
            return java_format(epoch, value, zone)
        if value == "random-string":
            return random_string
        return error_type or ""

    return EXPRESSION.sub(sub, text)


def error_prefix_for(prefix: str, error_prefix: str | None, error_type: str) -> str:
    """The prefix failed data goes under: ErrorOutputPrefix, else ``<Prefix><error-output-type>/``."""
    if error_prefix:
        return error_prefix
    static = EXPRESSION.sub("", prefix or "")
    return f"{static}{error_type}/"


def object_name(stream: str, version: int | str, epoch: float, zone: str, uuid: str, extension: str) -> str:
    stamp = java_format(epoch, "yyyy-MM-dd-HH-mm-ss", zone)
    return f"{stream}-{version}-{stamp}-{uuid}{extension}"
