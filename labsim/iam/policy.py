"""IAM policy documents, compiled once and evaluated per request (pure Python, no moto).

A ``Policy`` is built from the JSON text IAM stores; ``Policy.compile(text)`` caches the compiled
form by text, so a document attached to many roles, or read on every request, is parsed once.
Evaluation follows IAM's documented logic: an explicit ``Deny`` in any policy wins, otherwise an
``Allow`` is needed, otherwise the request is implicitly denied.

>>> p = Policy.compile('{"Version": "2012-10-17", "Statement": ['
...     '{"Effect": "Allow", "Action": "kinesis:Put*", "Resource": "arn:aws:kinesis:*:*:stream/orders"},'
...     '{"Effect": "Deny", "Action": "kinesis:PutRecords", "Resource": "*",'
...     ' "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}')
>>> p.effect("kinesis:PutRecord", "arn:aws:kinesis:us-east-1:123456789012:stream/orders", {})
'Allow'
>>> p.effect("kinesis:GetRecords", "arn:aws:kinesis:us-east-1:123456789012:stream/orders", {})
>>> p.effect("kinesis:PutRecords", "arn:aws:kinesis:us-east-1:123456789012:stream/orders", {"aws:securetransport": "false"})
'Deny'
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import unquote

ALLOW = "Allow"
DENY = "Deny"


class PolicyError(ValueError):
    """A policy document IAM would refuse as malformed (MalformedPolicyDocument)."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


_PATTERNS: dict[tuple[str, bool], re.Pattern[str]] = {}


def wildcard(patterns: Iterable[str], ignore_case: bool) -> re.Pattern[str]:
    """One regex matching any of IAM's ``*``/``?`` wildcard ``patterns`` (whole string)."""
    key = ("\x00".join(patterns), ignore_case)
    rx = _PATTERNS.get(key)
    if rx is None:
        parts = []
        for p in patterns:
            parts.append("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p))
        rx = re.compile("(?:%s)\\Z" % "|".join(parts) if parts else "(?!)", re.IGNORECASE if ignore_case else 0)
        _PATTERNS[key] = rx
    return rx


# --- conditions ------------------------------------------------------------------------------------
def _num(v: Any) -> float:
    return float(v)


def _bool(v: Any) -> str:
    return str(v).lower()


def _ip_in(value: Any, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False


_OPERATORS = {
    "stringequals": lambda v, c: str(v) == str(c),
    "stringnotequals": lambda v, c: str(v) == str(c),
    "stringequalsignorecase": lambda v, c: str(v).lower() == str(c).lower(),
    "stringnotequalsignorecase": lambda v, c: str(v).lower() == str(c).lower(),
    "stringlike": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "stringnotlike": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "arnequals": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "arnlike": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "arnnotequals": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "arnnotlike": lambda v, c: fnmatch.fnmatchcase(str(v), str(c)),
    "numericequals": lambda v, c: _num(v) == _num(c),
    "numericnotequals": lambda v, c: _num(v) == _num(c),
    "numericlessthan": lambda v, c: _num(v) < _num(c),
    "numericlessthanequals": lambda v, c: _num(v) <= _num(c),
    "numericgreaterthan": lambda v, c: _num(v) > _num(c),
    "numericgreaterthanequals": lambda v, c: _num(v) >= _num(c),
    "datelessthan": lambda v, c: _num(v) < _num(c),
    "dategreaterthan": lambda v, c: _num(v) > _num(c),
    "bool": lambda v, c: _bool(v) == _bool(c),
    "ipaddress": _ip_in,
    "notipaddress": _ip_in,
}
#: Negated operators: true when no value matches (IAM's "Not" forms).
_NEGATED = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike",
            "numericnotequals", "notipaddress"}


class Condition:
    """One ``operator: {key: values}`` test, with ``...IfExists`` and ``ForAnyValue:/ForAllValues:``."""

    __slots__ = ("operator", "key", "values", "if_exists", "qualifier", "test", "negated")

    def __init__(self, operator: str, key: str, values: Any) -> None:
        op = operator
        self.qualifier = ""
        if ":" in op:
            self.qualifier, _, op = op.partition(":")
            self.qualifier = self.qualifier.lower()
            if self.qualifier not in ("foranyvalue", "forallvalues"):
                raise PolicyError(f"unknown condition set qualifier in {operator!r}: use ForAnyValue: or ForAllValues:")
        self.if_exists = op.lower().endswith("ifexists")
        base = op[:-8] if self.if_exists else op
        self.operator = base.lower()
        if self.operator != "null" and self.operator not in _OPERATORS:
            raise PolicyError(f"unknown condition operator {operator!r}")
        self.test = _OPERATORS.get(self.operator)
        self.negated = self.operator in _NEGATED
        self.key = key.lower()
        self.values = [str(v) if not isinstance(v, bool) else str(v).lower() for v in _as_list(values)]

    def holds(self, ctx: dict[str, Any]) -> bool:
        present = self.key in ctx
        if self.operator == "null":
            return any((v.lower() == "true") != present for v in self.values)
        if not present:
            # A missing key fails a condition, except ...IfExists and the negated forms, which hold.
            return self.if_exists or self.negated
        value = ctx[self.key]
        values = value if isinstance(value, (list, tuple, set)) else [value]
        test = self.test
        if self.qualifier == "forallvalues":
            ok = all(any(test(v, c) for c in self.values) for v in values)
            return not ok if self.negated else ok
        matched = any(test(v, c) for v in values for c in self.values)
        return not matched if self.negated else matched


# --- statements and policies ----------------------------------------------------------------------
class Statement:
    """One statement: effect, (Not)Action, (Not)Resource, (Not)Principal, conditions."""

    __slots__ = ("sid", "effect", "actions", "not_actions", "resources", "not_resources", "principals",
                 "not_principals", "conditions")

    def __init__(self, raw: dict[str, Any]) -> None:
        if not isinstance(raw, dict):
            raise PolicyError("each Statement must be a JSON object")
        self.sid = raw.get("Sid")
        self.effect = raw.get("Effect")
        if self.effect not in (ALLOW, DENY):
            raise PolicyError(f"Effect must be \"Allow\" or \"Deny\", got {self.effect!r}")
        if ("Action" in raw) == ("NotAction" in raw):
            raise PolicyError("a Statement needs exactly one of Action or NotAction")
        self.actions = wildcard(_as_list(raw.get("Action")), True) if "Action" in raw else None
        self.not_actions = wildcard(_as_list(raw.get("NotAction")), True) if "NotAction" in raw else None
        self.resources = wildcard(_as_list(raw.get("Resource")), False) if "Resource" in raw else None
        self.not_resources = wildcard(_as_list(raw.get("NotResource")), False) if "NotResource" in raw else None
        self.principals = _principal_patterns(raw["Principal"]) if "Principal" in raw else None
        self.not_principals = _principal_patterns(raw["NotPrincipal"]) if "NotPrincipal" in raw else None
        conditions = raw.get("Condition") or {}
        if not isinstance(conditions, dict):
            raise PolicyError("Condition must be a JSON object of operator: {key: values}")
        self.conditions = [Condition(op, key, values) for op, block in conditions.items() for key, values in block.items()]

    def applies(self, action: str, resource: str, ctx: dict[str, Any]) -> bool:
        if self.actions is not None:
            if self.actions.match(action) is None:
                return False
        elif self.not_actions.match(action) is not None:  # type: ignore[union-attr]
            return False
        if self.resources is not None:
            if self.resources.match(resource) is None:
                return False
        elif self.not_resources is not None and self.not_resources.match(resource) is not None:
            return False
        for condition in self.conditions:
            if not condition.holds(ctx):
                return False
        return True

    def principal_match(self, names: tuple[str, ...]) -> bool:
        """Whether the statement's Principal covers any of ``names`` (ARNs, account ids, service names)."""
        if self.principals is not None:
            return any(self.principals.match(n) is not None for n in names)
        if self.not_principals is not None:
            return not any(self.not_principals.match(n) is not None for n in names)
        return True


def _principal_patterns(value: Any) -> re.Pattern[str]:
    if value == "*":
        return wildcard(["*"], False)
    if not isinstance(value, dict):
        raise PolicyError('Principal must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}')
    names: list[str] = []
    for kind, items in value.items():
        for item in _as_list(items):
            item = str(item)
            if kind == "AWS" and item.isdigit():
                item = f"arn:aws:iam::{item}:root"  # an account id means the account
            names.append(item)
    return wildcard(names, False)


class Policy:
    """A compiled policy document."""

    __slots__ = ("statements", "text", "uses_tags")

    _cache: dict[str, "Policy"] = {}
    _lock = threading.Lock()

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            raw = json.loads(text)
        except ValueError:
            try:
                raw = json.loads(unquote(text))  # IAM hands some documents back URL-encoded
            except ValueError:
                raise PolicyError("the policy document is not valid JSON") from None
        if not isinstance(raw, dict) or "Statement" not in raw:
            raise PolicyError("a policy document is a JSON object with a Statement list")
        self.statements = [Statement(s) for s in _as_list(raw["Statement"])]
        lowered = text.lower()
        #: Whether a condition tests tags (the guard then adds aws:ResourceTag/... to the request's keys).
        self.uses_tags = "tag/" in lowered or "aws:tagkeys" in lowered

    @classmethod
    def compile(cls, text: Any) -> "Policy":
        if not isinstance(text, str):
            text = json.dumps(text)
        policy = cls._cache.get(text)
        if policy is None:
            policy = cls(text)
            with cls._lock:
                if len(cls._cache) > 4096:
                    cls._cache.clear()
                cls._cache[text] = policy
        return policy

    def effect(self, action: str, resource: str, ctx: dict[str, Any]) -> str | None:
        """``"Deny"`` if a statement denies, else ``"Allow"`` if one allows, else None (identity policies)."""
        allowed = False
        for st in self.statements:
            if st.applies(action, resource, ctx):
                if st.effect == DENY:
                    return DENY
                allowed = True
        return ALLOW if allowed else None

    def effect_for(self, names: tuple[str, ...], action: str, resource: str, ctx: dict[str, Any]) -> str | None:
        """The same for a resource-based policy: only statements whose Principal covers ``names``."""
        allowed = False
        for st in self.statements:
            if st.principal_match(names) and st.applies(action, resource, ctx):
                if st.effect == DENY:
                    return DENY
                allowed = True
        return ALLOW if allowed else None
