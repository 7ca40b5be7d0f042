"""The model guard: every request checked against botocore's service model, as the service does (layer 0).

botocore's client checks little before sending (required members, types, minimums); the service
checks every constraint its model declares and answers with one error that lists them all. This
guard does the same for every JSON-protocol service a lab serves (Kinesis, Firehose, DynamoDB,
CloudWatch Logs, KMS, Glue):

- a member of the wrong JSON type, or a body that is not a JSON object: ``SerializationException``;
- lengths, ranges, patterns, enums and required members: ``ValidationException`` with AWS's
  wording, one clause per broken constraint, members named as the service names them
  (``streamName``, ``records.1.member.partitionKey``);

An operation whose handler already checks its whole input in the same words (the data plane's
PutRecords, thousands of entries a second) says so with ``validates_model = True`` and is skipped.

>>> import botocore.session
>>> model = botocore.session.get_session().get_service_model("kinesis").operation_model("GetRecords")
>>> problems(model.input_shape, {"ShardIterator": "", "Limit": 0})
["Value '' at 'shardIterator' failed to satisfy constraint: Member must have length greater than or equal to 1", "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"]
>>> problems(model.input_shape, {"Limit": 5})
["Value null at 'shardIterator' failed to satisfy constraint: Member must not be null"]
"""

from __future__ import annotations

import re
from typing import Any

from . import errors as E

_patterns: dict[str, re.Pattern[str]] = {}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "long": (int,), "double": (int, float), "float": (int, float),
    "blob": (str, bytes, bytearray), "timestamp": (int, float, str),
}


def _name(member: str) -> str:
    return member[:1].lower() + member[1:]


def _regex(pattern: str) -> re.Pattern[str] | None:
    compiled = _patterns.get(pattern)
    if compiled is None and pattern not in _patterns:
        try:
            compiled = re.compile(pattern, re.DOTALL)
        except re.error:  # a Java-only construct: the service's check cannot be reproduced, skip it
            compiled = None
        _patterns[pattern] = compiled  # type: ignore[assignment]
    return compiled


def _blob_length(value: Any) -> int:
    if isinstance(value, str):  # base64 on the wire
        return len(value) * 3 // 4 - value[-2:].count("=")
    return len(value)


def problems(shape: Any, value: Any, where: str = "", json_types: bool = True) -> list[str]:
    """Every constraint of ``shape`` that ``value`` breaks, in AWS's words (empty if none).

    Raises ``SerializationError`` for a value of the wrong JSON type when ``json_types``.
    """
    out: list[str] = []
    _check(shape, value, where, out, json_types)
    return out


def _check(shape: Any, value: Any, where: str, out: list[str], json_types: bool) -> None:
    kind = shape.type_name
    if json_types:
        allowed = _JSON_TYPES.get(kind)
        if allowed is not None and (not isinstance(value, allowed) or (kind in ("integer", "long", "double", "float") and isinstance(value, bool))):
            raise E.SerializationError()
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return
        for required in shape.required_members:
            if value.get(required) is None:
                out.append(E.not_null(f"{where}{_name(required)}"))
        members = shape.members
        for key, item in value.items():
            member = members.get(key)
            if member is not None and item is not None:
                _check(member, item, f"{where}{_name(key)}.", out, json_types) if member.type_name == "structure" else \
                    _check(member, item, f"{where}{_name(key)}", out, json_types)
        return
    label = where.rstrip(".")
    if kind in ("string", "blob", "list", "map"):
        size = _blob_length(value) if kind == "blob" else len(value)
        if "max" in meta and size > meta["max"]:
            out.append(E.length_at_most(value, label, meta["max"], show_value=kind == "string"))
        if "min" in meta and size < meta["min"]:
            out.append(E.length_at_least(value, label, meta["min"]) if kind == "string" else
                       f"Value '{value}' at '{label}' failed to satisfy constraint: Member must have length greater than or equal to {meta['min']}")
        if kind == "string":
            if "enum" in meta and value not in meta["enum"]:
                out.append(E.enum(value, label, meta["enum"]))
            elif "pattern" in meta:
                compiled = _regex(meta["pattern"])
                if compiled is not None and compiled.fullmatch(value) is None:
                    out.append(E.pattern(value, label, meta["pattern"]))
        elif kind == "list" and isinstance(value, list):
            for i, item in enumerate(value, 1):
                if item is not None:
                    _check(shape.member, item, f"{label}.{i}.member" + ("." if shape.member.type_name == "structure" else ""), out, json_types)
        elif kind == "map" and isinstance(value, dict):
            for key, item in value.items():
                _check(shape.key, key, f"{label}.{key}.key", out, json_types)
                if item is not None:
                    _check(shape.value, item, f"{label}.{key}.value", out, json_types)
    elif kind in ("integer", "long", "double", "float") and isinstance(value, (int, float)):
        if "max" in meta and value > meta["max"]:
            out.append(E.value_at_most(value, label, meta["max"]))
        if "min" in meta and value < meta["min"]:
            out.append(E.value_at_least(value, label, meta["min"]))


class ModelGuard:
    """The pipeline guard (``Router.add_guard``) that holds every JSON request to its model."""

    __slots__ = ("checked",)

    def __init__(self) -> None:
        self.checked = 0

    def __call__(self, call: Any) -> None:
        model = call.model
        if model is None or not call.json:
            return  # moto validates (and renders) the XML and CBOR services it serves
        if getattr(call.handler, "validates_model", False):
            return
        shape = model.input_shape
        if shape is None:
            return
        self.checked += 1
        found = problems(shape, call.params)
        if found:
            raise E.validation_errors(found)

