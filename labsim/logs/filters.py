"""CloudWatch Logs filter patterns, the forms a subscription filter uses most.

- ``""``: every event;
- terms: ``ERROR`` (the message contains it), ``ERROR timeout`` (both), ``"Connection refused"`` (the
  phrase), ``?ERROR ?WARN`` (either), ``ERROR -health`` (ERROR but not health); terms are case-sensitive;
- JSON: ``{ $.level = "ERROR" }``, ``{ $.latency > 500 }``, ``{ ($.a = 1) && ($.b != "x") }``, ``||``,
  a ``*`` wildcard inside a string value, ``{ $.user EXISTS }``.

The space-delimited form (``[ip, user, ...]``) is refused with a clear error: the lab does not
implement it.

>>> FilterPattern('{ $.status >= 500 }').matches('{"status": 503}')
True
>>> FilterPattern('?ERROR ?WARN -health').matches("WARN disk at 91%")
True
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any


class FilterPatternError(ValueError):
    """A filter pattern the lab cannot read; the message says which forms it knows."""


_COMPARE = re.compile(r"^\s*\$((?:\.[A-Za-z0-9_\-]+|\[\d+\])+)\s*(=|!=|>=|<=|>|<|EXISTS|NOT EXISTS)\s*(.*?)\s*$")


class FilterPattern:
    __slots__ = ("text", "_match")

    def __init__(self, text: str | None) -> None:
        self.text = text = (text or "").strip()
        if not text:
            self._match = lambda message: True
        elif text.startswith("{"):
            if not text.endswith("}"):
                raise FilterPatternError(f"filter pattern {text!r}: a JSON pattern ends with '}}'")
            self._match = self._json(text[1:-1])
        elif text.startswith("["):
            raise FilterPatternError(f"filter pattern {text!r}: the lab does not implement space-delimited "
                                     "patterns ([a, b, ...]); use terms or a JSON pattern { $.field = value }")
        else:
            self._match = self._terms(text)

    def matches(self, message: str) -> bool:
        return bool(self._match(message))

    @staticmethod
    def _terms(text: str) -> Any:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise FilterPatternError(f"filter pattern {text!r}: {exc}") from None
        any_of = [w[1:] for w in words if w.startswith("?")]
        none_of = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
        all_of = [w for w in words if not w.startswith(("?", "-"))]

        def match(message: str) -> bool:
            if any(w in message for w in none_of):
                return False
            if any_of and not any(w in message for w in any_of):
                return False
            return all(w in message for w in all_of)

        return match

    def _json(self, body: str) -> Any:
        # split on || then && at the top level (parentheses only group whole comparisons)
        alternatives = [part for part in re.split(r"\|\|", body)]
        compiled = [[self._comparison(c.strip().strip("()")) for c in re.split(r"&&", alt)] for alt in alternatives]

        def match(message: str) -> bool:
            try:
                event = json.loads(message)
            except ValueError:
                return False
            return any(all(test(event) for test in conj) for conj in compiled)

        return match

    def _comparison(self, text: str) -> Any:
        m = _COMPARE.match(text)
        if m is None:
            raise FilterPatternError(f"filter pattern {self.text!r}: cannot read {text!r}; write "
                                     "$.field = value, !=, <, >, <=, >=, or $.field EXISTS")
        path = re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", m.group(1))
        op, raw = m.group(2), m.group(3)

        def lookup(event: Any) -> Any:
            for key, index in path:
                if key and isinstance(event, dict) and key in event:
                    event = event[key]
                elif index and isinstance(event, list) and int(index) < len(event):
                    event = event[int(index)]
                else:
                    return _MISSING
            return event

        if op in ("EXISTS", "NOT EXISTS"):
            return lambda event: (lookup(event) is not _MISSING) == (op == "EXISTS")
        if raw.startswith('"') and raw.endswith('"'):
            wanted = re.compile(".*".join(re.escape(p) for p in raw[1:-1].split("*")) + r"\Z", re.S)
            if op not in ("=", "!="):
                raise FilterPatternError(f"filter pattern {self.text!r}: strings compare with = or != only")
            return lambda event: isinstance(v := lookup(event), str) and (wanted.match(v) is not None) == (op == "=")
        if raw in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[raw]
            return lambda event: (lookup(event) is constant) == (op == "=") and lookup(event) is not _MISSING
        try:
            number = float(raw)
        except ValueError:
            wanted = re.compile(".*".join(re.escape(p) for p in raw.split("*")) + r"\Z", re.S)
            return lambda event: isinstance(v := lookup(event), str) and (wanted.match(v) is not None) == (op == "=")
        ops = {"=": float.__eq__, "!=": float.__ne__, ">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__}

        def compare(event: Any) -> bool:
            v = lookup(event)
            return isinstance(v, (int, float)) and not isinstance(v, bool) and ops[op](float(v), number)

        return compare


class _Missing:
    pass


_MISSING = _Missing()
