"""Errors every service shares, and the wording AWS uses for them (layer 0).

A service error carries what botocore turns into ``ClientError``: ``error_type`` (the code a
learner's ``except`` clause tests, ``e.response["Error"]["Code"]``), ``message`` and ``code`` (the
HTTP status). The request pipeline (``labsim.transport``) renders any exception with those three
attributes in the protocol of the service called, so a service's own error classes (which may
also subclass moto's ``JsonRESTError``, as ``labsim.streams.errors`` does) need nothing else.

The constraint messages are AWS's, word for word, for every JSON service:

>>> validation_errors([value_at_most(20000, "limit", 10000), pattern("a b", "streamName", "[a-zA-Z0-9_.-]+")]).message
"2 validation errors detected: Value '20000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000; Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
"""

from __future__ import annotations

#: What JSON services answer when a member has the wrong type or the body is not a JSON object.
SERIALIZATION_MESSAGE = "Start of structure or map found where not expected."


class ServiceError(Exception):
    """An AWS error answer: ``error_type`` (code), ``message``, ``code`` (HTTP status)."""

    error_type_default = "InternalFailure"
    code = 400

    def __init__(self, message: str, error_type: str | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type or self.error_type_default
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


class SerializationError(ServiceError):
    """The body, or a member of it, is not of the type the API model declares."""

    error_type_default = "SerializationException"

    def __init__(self, message: str = SERIALIZATION_MESSAGE) -> None:
        super().__init__(message)


class ValidationError(ServiceError):
    """A member breaks a constraint of the API model (length, range, pattern, enum, required)."""

    error_type_default = "ValidationException"


class UnknownOperationError(ServiceError):
    error_type_default = "UnknownOperationException"


# --- the constraint messages ---------------------------------------------------------------------
def validation_errors(problems: list[str], error: type[ServiceError] = ValidationError) -> ServiceError:
    """One error listing every broken constraint, as AWS does ("N validation errors detected: ...")."""
    n = len(problems)
    head = "1 validation error detected: " if n == 1 else f"{n} validation errors detected: "
    return error(head + "; ".join(problems))


def length_at_most(value: object, where: str, limit: int, show_value: bool = True) -> str:
    shown = f"Value '{value}' at" if show_value else "Value at"
    return f"{shown} '{where}' failed to satisfy constraint: Member must have length less than or equal to {limit}"


def length_at_least(value: object, where: str, limit: int) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have length greater than or equal to {limit}"


def pattern(value: object, where: str, regex: str) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy regular expression pattern: {regex}"


def value_at_most(value: object, where: str, limit: object) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value less than or equal to {limit}"


def value_at_least(value: object, where: str, limit: object) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must have value greater than or equal to {limit}"


def not_null(where: str) -> str:
    return f"Value null at '{where}' failed to satisfy constraint: Member must not be null"


def enum(value: object, where: str, allowed: list[str]) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
