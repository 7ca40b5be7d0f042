"""Request validation from botocore's Firehose model, plus the rules the docs state in prose.

``model_problems(operation, params)`` walks the operation's input shape the way the service's
front end does and reports every value that breaks a constraint of the model (``max`` length or
value, ``pattern``, ``enum``; botocore itself already checks ``min``, types and required members
before sending), worded as AWS words them::

    1 validation error detected: Value 'a b' at 'deliveryStreamName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+

The semantic rules (one destination, buffering ranges per destination, conversion needing 64 MiB,
ErrorOutputPrefix rules) live in ``labsim.firehose.config``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import botocore.session

from .errors import ValidationError


@lru_cache(maxsize=1)
def _model() -> Any:
    return botocore.session.get_session().get_service_model("firehose")


# Java's Unicode classes (used inside [...] by the tag patterns) in Python's re syntax.
_JAVA_CLASSES = {r"\p{L}": "a-zA-Z\u00c0-\uffff", r"\p{Z}": " \u00a0\u2000-\u200a\u3000",
                 r"\p{N}": "0-9"}


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern, re.DOTALL)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _check(shape: Any, value: Any, path: str, out: list[str]) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for member, member_shape in shape.members.items():
            if member in value and value[member] is not None:
                _check(member_shape, value[member], f"{path}.{_camel(member)}" if path else _camel(member), out)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", out)
    elif kind == "string" and isinstance(value, str):
        shown = "***" if meta.get("sensitive") else value
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}")
        if shape.enum and value not in shape.enum:
            out.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = meta.get("pattern")
        if pattern and not _regex(pattern).fullmatch(value):
            out.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}")
    elif kind in ("integer", "long") and isinstance(value, int):
        if "max" in meta and value > meta["max"]:
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {meta['min']}")
    elif kind == "blob" and isinstance(value, (bytes, bytearray)):
        if "max" in meta and len(value) > meta["max"]:
            out.append(f"Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {meta['max']}")


def model_problems(operation: str, params: dict[str, Any]) -> list[str]:
    """Every constraint of ``operation``'s input shape that ``params`` (API member names) breaks."""
    out: list[str] = []
    _check(_model().operation_model(operation).input_shape, params, "", out)
    return out


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise ``ValidationException`` (all problems in one message, as AWS does) if any."""
    problems = model_problems(operation, params)
    if problems:
        n = len(problems)
        raise ValidationError(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(problems))


def enum_values(shape_name: str) -> list[str]:
    return list(_model().shape_for(shape_name).enum)
