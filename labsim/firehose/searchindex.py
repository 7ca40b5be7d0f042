"""The lab's own stand-in for an OpenSearch cluster: indices a learner can search from the notebook.

Firehose's OpenSearch destinations index documents into a ``SearchCluster`` (one per domain, or per
Serverless collection endpoint) kept in-process for the running lab. It is not OpenSearch: it is a
small index with the parts of OpenSearch's REST API a lesson needs, answered in OpenSearch's
response shapes so that what a learner writes here reads like what they would send to ``_search``::

    from labsim.firehose import opensearch_domain
    logs = opensearch_domain(lab, "logs")               # the domain made with opensearch.create_domain
    logs.indices()                                      # {"web-2026-01-01": 120, ...}
    logs.count("web-*", {"term": {"status": 500}})      # {"count": 7}
    logs.search("web-*", {"match": {"message": "timeout"}}, size=5)["hits"]["hits"]

Queries: ``match_all``, ``term``, ``terms``, ``match`` (case-insensitive words, any of them),
``range`` (gt/gte/lt/lte), ``exists``, ``bool`` (must/filter/should/must_not). Index patterns take
``*`` wildcards and commas, as OpenSearch's do.

Dynamic mapping as OpenSearch does it, simplified: the first value of a field fixes its type
(``long``, ``double``, ``boolean``, ``text``, ``object``); a later document whose value cannot be
read as that type is rejected with ``mapper_parsing_exception`` (a string such as ``"42"`` is
coerced into a long, as OpenSearch coerces it). A document that is not a JSON object is rejected
the same way. One mapping type per index: a document indexed under another type name is rejected
with ``illegal_argument_exception``, and OpenSearch 2.x+ domains reject any type name but ``_doc``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

_WORD = re.compile(r"\w+")


class Rejected(Exception):
    """The index refused one document: (``error_type``, ``reason``) as OpenSearch reports them."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(f"{error_type}: {reason}")
        self.error_type = error_type
        self.reason = reason


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, dict):
        return "object"
    return "text"


def _fits(kind: str, value: Any) -> bool:
    if value is None or kind == "text":
        return not isinstance(value, dict) or value is None
    if kind == "object":
        return isinstance(value, dict)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if isinstance(value, bool) or isinstance(value, dict):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return kind == "double" or number == int(number)


class Index:
    """One index: documents by id, the fields' types, and the one mapping type it accepts."""

    __slots__ = ("name", "docs", "mapping", "type_name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.docs: dict[str, dict[str, Any]] = {}
        self.mapping: dict[str, str] = {}
        self.type_name: str | None = None

    def _map(self, source: dict[str, Any], doc_id: str, path: str = "") -> dict[str, str]:
        new: dict[str, str] = {}
        for key, value in source.items():
            field = f"{path}{key}"
            known = self.mapping.get(field) or new.get(field)
            if known is None:
                if value is not None:
                    new[field] = _kind(value)
            elif not _fits(known, value):
                raise Rejected("mapper_parsing_exception",
                               f"failed to parse field [{field}] of type [{known}] in document with id '{doc_id}'. "
                               f"Preview of field's value: '{value}'")
            if isinstance(value, dict):
                new.update(self._map(value, doc_id, f"{field}."))
        return new

    def put(self, doc_id: str, source: Any, type_name: str, engine: str) -> None:
        if not isinstance(source, dict):
            raise Rejected("mapper_parsing_exception", "failed to parse: the document must be a JSON object")
        if type_name and type_name != "_doc" and engine.startswith("OpenSearch_") and engine >= "OpenSearch_2":
            raise Rejected("illegal_argument_exception",
                           f"mapping types were removed in {engine}: leave TypeName empty (got [{type_name}])")
        wanted = type_name or "_doc"
        if self.type_name is not None and self.type_name != wanted:
            raise Rejected("illegal_argument_exception",
                           f"Rejecting mapping update to [{self.name}] as the final mapping would have more than "
                           f"1 type: [{self.type_name}, {wanted}]")
        self.mapping.update(self._map(source, doc_id))
        self.type_name = wanted
        self.docs[doc_id] = source


def _field(source: dict[str, Any], path: str) -> Any:
    value: Any = source
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _one(query: dict[str, Any]) -> tuple[str, Any]:
    if not isinstance(query, dict) or len(query) != 1:
        raise ValueError(f"a query is a dict with exactly one clause such as {{'match_all': {{}}}}; got {query!r}")
    return next(iter(query.items()))


def _clause(body: Any, what: str) -> tuple[str, Any]:
    if not isinstance(body, dict) or len(body) != 1:
        raise ValueError(f"'{what}' takes one field: {{'{what}': {{'status': 500}}}}; got {body!r}")
    field, value = next(iter(body.items()))
    if isinstance(value, dict) and "value" in value and what == "term":
        value = value["value"]
    if isinstance(value, dict) and "query" in value and what == "match":
        value = value["query"]
    return field, value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _same(a: Any, b: Any) -> bool:
    """Equality as a numeric field sees it: "42" and 42 are the same long (OpenSearch coerces)."""
    if (isinstance(a, (int, float)) or isinstance(b, (int, float))) and not isinstance(a, bool) and not isinstance(b, bool):
        x, y = _number(a), _number(b)
        if x is not None and y is not None:
            return x == y
    return a == b


def matches(source: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether a document's source satisfies an OpenSearch query (the subset above)."""
    kind, body = _one(query)
    if kind == "match_all":
        return True
    if kind == "term":
        field, value = _clause(body, "term")
        have = _field(source, field)
        return any(_same(v, value) for v in have) if isinstance(have, list) else _same(have, value)
    if kind == "terms":
        field, values = _clause(body, "terms")
        return any(_same(_field(source, field), v) for v in values)
    if kind == "match":
        field, text = _clause(body, "match")
        have = _field(source, field)
        if have is None:
            return False
        words = set(_WORD.findall(str(text).lower()))
        return bool(words & set(_WORD.findall(json.dumps(have) if isinstance(have, (dict, list)) else str(have).lower())))
    if kind == "range":
        field, bounds = _clause(body, "range")
        have = _field(source, field)
        if have is None:
            return False
        tests = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
        if all(_number(v) is not None and not isinstance(v, str) for v in bounds.values()) and _number(have) is not None:
            have = _number(have)  # a coerced "42" in a long field compares as 42
        try:
            return all(tests[op](have, bound) for op, bound in bounds.items())
        except (KeyError, TypeError):
            raise ValueError(f"range takes gt/gte/lt/lte bounds of the field's type; got {bounds!r}") from None
    if kind == "exists":
        return _field(source, body.get("field", "")) is not None
    if kind == "bool":
        def clauses(key: str) -> list[dict[str, Any]]:
            given = body.get(key, [])
            return [given] if isinstance(given, dict) else list(given)

        must, should, must_not = clauses("must") + clauses("filter"), clauses("should"), clauses("must_not")
        return (all(matches(source, q) for q in must) and not any(matches(source, q) for q in must_not)
                and (not should or any(matches(source, q) for q in should)))
    raise ValueError(f"query type {kind!r} is not served by the lab's index (use match_all, term, terms, match, "
                     "range, exists or bool)")


class SearchCluster:
    """The indices of one OpenSearch domain or Serverless collection, in the lab."""

    __slots__ = ("name", "engine", "indexes", "requests", "lose_responses_until")

    def __init__(self, name: str, engine: str) -> None:
        self.name = name
        self.engine = engine
        self.indexes: dict[str, Index] = {}
        #: Until this lab time, bulk requests are indexed but their responses never reach Firehose (a
        #: timeout): Firehose retries the whole request, which is where document IDs matter.
        self.lose_responses_until = 0.0
        #: (lab time, documents in the bulk request) of every bulk request Firehose sent.
        self.requests: list[tuple[float, int]] = []

    def index(self, name: str, doc_id: str, source: Any, type_name: str = "") -> None:
        """Index one document (creating the index on first use, as OpenSearch's auto-create does)."""
        target = self.indexes.get(name) or Index(name)
        target.put(doc_id, source, type_name, self.engine)
        self.indexes[name] = target

    def _targets(self, pattern: str) -> list[Index]:
        wanted = [p.strip() for p in pattern.split(",")]
        return [ix for name, ix in sorted(self.indexes.items()) if any(fnmatch.fnmatchcase(name, p) for p in wanted)]

    def indices(self) -> dict[str, int]:
        """Index name -> document count (what ``GET _cat/indices`` lists)."""
        return {name: len(ix.docs) for name, ix in sorted(self.indexes.items())}

    def mapping(self, index: str) -> dict[str, str]:
        """Field -> type of one index, as dynamic mapping set them."""
        return dict(self.indexes[index].mapping)

    def get(self, index: str, doc_id: str) -> dict[str, Any]:
        ix = self.indexes.get(index)
        if ix is None or doc_id not in ix.docs:
            return {"_index": index, "_id": doc_id, "found": False}
        return {"_index": index, "_id": doc_id, "found": True, "_source": ix.docs[doc_id]}

    def search(self, index: str = "*", query: dict[str, Any] | None = None, size: int = 10) -> dict[str, Any]:
        """``POST <index>/_search`` with ``{"query": query, "size": size}``: OpenSearch's response shape."""
        query = query or {"match_all": {}}
        hits = [{"_index": ix.name, "_id": doc_id, "_score": 1.0, "_source": source}
                for ix in self._targets(index) for doc_id, source in ix.docs.items() if matches(source, query)]
        return {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits[:size]}}

    def count(self, index: str = "*", query: dict[str, Any] | None = None) -> dict[str, int]:
        """``GET <index>/_count``: ``{"count": n}``."""
        return {"count": self.search(index, query, size=0)["hits"]["total"]["value"]}
