"""The AWS IoT rules SQL the lab evaluates: SELECT ... FROM 'topic/filter' [WHERE ...], and ``${...}`` templates.

Supported: ``SELECT *``, fields and nested fields (``a.b``) with ``AS`` aliases, ``topic()``,
``topic(n)``, ``timestamp()``, ``clientid()``, ``newuuid()``, string and number literals; WHERE with
``= <> != < > <= >=``, ``AND``, ``OR``, ``NOT`` and parentheses; MQTT wildcards ``+`` and ``#`` in the
topic filter. Anything else is refused when the rule is created, with a message saying so.

>>> rule = RuleSql("SELECT temp, device AS id FROM 'plant/+/sensors' WHERE temp > 30")
>>> rule.apply("plant/7/sensors", b'{"temp": 31, "device": "d-1"}', now_ms=0)
b'{"temp":31,"id":"d-1"}'
>>> rule.apply("plant/7/sensors", b'{"temp": 20}', now_ms=0) is None
True
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

_QUERY = re.compile(r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+'(?P<topic>[^']*)'(?:\s+WHERE\s+(?P<where>.+?))?\s*;?\s*$",
                    re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|'(?P<str>[^']*)'|(?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*))")
UNDEFINED = object()


class RuleSqlError(ValueError):
    """SQL the lab cannot evaluate; the message names the part and what the lab supports."""


class Context:
    __slots__ = ("topic", "payload", "now_ms", "client_id", "new_uuid")

    def __init__(self, topic: str, payload: Any, now_ms: int, client_id: str, new_uuid: Callable[[], str]) -> None:
        self.topic, self.payload, self.now_ms, self.client_id, self.new_uuid = topic, payload, now_ms, client_id, new_uuid


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise RuleSqlError(f"cannot read {text[pos:]!r} in the rule's SQL")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over tokens: expressions compile to functions of a Context."""

    def __init__(self, text: str) -> None:
        self.toks, self.i = _tokens(text), 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise RuleSqlError("the rule's SQL ends too early")
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "name" and tok[1].upper() == word:
            self.i += 1
            return True
        return False

    def condition(self) -> Callable[[Context], Any]:
        left = self.conjunction()
        while self.keyword("OR"):
            right = self.conjunction()
            left = (lambda a, b: lambda c: a(c) is True or b(c) is True)(left, right)
        return left

    def conjunction(self) -> Callable[[Context], Any]:
        left = self.negation()
        while self.keyword("AND"):
            right = self.negation()
            left = (lambda a, b: lambda c: a(c) is True and b(c) is True)(left, right)
        return left

    def negation(self) -> Callable[[Context], Any]:
        if self.keyword("NOT"):
            inner = self.negation()
            return lambda c: (not inner(c)) if isinstance(inner(c), bool) else UNDEFINED
        return self.comparison()

    def comparison(self) -> Callable[[Context], Any]:
        left = self.operand()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("=", "<>", "!=", "<", ">", "<=", ">="):
            self.i += 1
            right = self.operand()
            op = tok[1]

            def compare(c: Context) -> Any:
                a, b = left(c), right(c)
                if a is UNDEFINED or b is UNDEFINED:
                    return UNDEFINED
                if op in ("=", "<>", "!="):
                    return (a == b) == (op == "=")
                if isinstance(a, bool) or isinstance(b, bool) or type(a) is not type(b) and not (
                        isinstance(a, (int, float)) and isinstance(b, (int, float))):
                    return UNDEFINED
                return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]

            return compare
        return left

    def operand(self) -> Callable[[Context], Any]:
        kind, value = self.take()
        if kind == "num":
            number = float(value) if "." in value else int(value)
            return lambda c: number
        if kind == "str":
            return lambda c: value
        if kind == "op" and value == "(":
            inner = self.condition()
            self.expect(")")
            return inner
        if kind == "name":
            tok = self.peek()
            if tok == ("op", "("):
                return self.function(value)
            if value.lower() in ("true", "false"):
                return lambda c: value.lower() == "true"
            path = value.split(".")
            return lambda c: _lookup(c.payload, path)
        raise RuleSqlError(f"unexpected {value!r} in the rule's SQL")

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise RuleSqlError(f"expected {op!r} in the rule's SQL")

    def function(self, name: str) -> Callable[[Context], Any]:
        self.expect("(")
        args = []
        if self.peek() != ("op", ")"):
            args.append(self.take())
        self.expect(")")
        fn = name.lower()
        if fn == "topic":
            if not args:
                return lambda c: c.topic
            n = int(args[0][1])
            return lambda c: (c.topic.split("/")[n - 1] if 0 < n <= len(c.topic.split("/")) else UNDEFINED)
        if fn == "timestamp":
            return lambda c: c.now_ms
        if fn == "clientid":
            return lambda c: c.client_id
        if fn == "newuuid":
            return lambda c: c.new_uuid()
        raise RuleSqlError(f"the lab's IoT SQL has no function {name}(); it knows topic(), timestamp(), "
                           "clientid(), newuuid()")


def _lookup(payload: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(payload, dict) or key not in payload:
            return UNDEFINED
        payload = payload[key]
    return payload


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT topic filter: ``+`` one level, ``#`` the rest."""
    want, have = pattern.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or (level != "+" and level != have[i]):
            return False
    return len(want) == len(have)


class RuleSql:
    """One rule's SQL, compiled once."""

    __slots__ = ("text", "topic_filter", "star", "fields", "where")

    def __init__(self, text: str) -> None:
        m = _QUERY.match(text or "")
        if m is None:
            raise RuleSqlError(f"{text!r} is not SELECT ... FROM 'topic/filter' [WHERE ...]")
        self.text, self.topic_filter = text, m.group("topic")
        self.star = False
        self.fields: list[tuple[str, Callable[[Context], Any]]] = []
        for item in _split_commas(m.group("select")):
            if item.strip() == "*":
                self.star = True
                continue
            pieces = re.split(r"\s+AS\s+", item.strip(), maxsplit=1, flags=re.IGNORECASE)
            expr, alias = pieces[0], (pieces[1] if len(pieces) > 1 else "")
            if not alias:
                alias = expr.split("(")[0].split(".")[-1]
            parser = _Parser(expr)
            fn = parser.operand()
            if parser.peek() is not None:
                raise RuleSqlError(f"cannot read the SELECT item {item.strip()!r}")
            self.fields.append((alias.strip(), fn))
        where = m.group("where")
        if where:
            parser = _Parser(where)
            self.where: Callable[[Context], Any] | None = parser.condition()
            if parser.peek() is not None:
                raise RuleSqlError(f"cannot read the WHERE clause {where!r}")
        else:
            self.where = None

    def apply(self, topic: str, payload: bytes, now_ms: int, client_id: str = "",
              new_uuid: Callable[[], str] = lambda: "00000000-0000-0000-0000-000000000000") -> bytes | None:
        """The message the rule's actions get, or ``None`` when the rule does not fire."""
        if not topic_matches(self.topic_filter, topic):
            return None
        try:
            document: Any = json.loads(payload)
        except ValueError:
            document = UNDEFINED
        ctx = Context(topic, document, now_ms, client_id, new_uuid)
        if self.where is not None and self.where(ctx) is not True:
            return None
        if self.star and not self.fields and not isinstance(document, dict):
            return payload   # SELECT * on a binary payload passes it through unchanged
        out: dict[str, Any] = dict(document) if self.star and isinstance(document, dict) else {}
        for alias, fn in self.fields:
            value = fn(ctx)
            if value is not UNDEFINED:
                out[alias] = value
        return json.dumps(out, separators=(",", ":")).encode("utf-8")


def substitute(template: str, ctx: Context) -> str:
    """``${topic()}``, ``${topic(2)}``, ``${newuuid()}``, ``${timestamp()}``, ``${field.path}`` in an action's text."""
    def one(m: re.Match[str]) -> str:
        parser = _Parser(m.group(1))
        value = parser.operand()(ctx)
        return "" if value is UNDEFINED else str(value)

    return re.sub(r"\$\{([^}]*)\}", one, template)


def _split_commas(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts
