"""The service's errors: codes, HTTP status and messages worded like Kinesis's.

Every error is a ``KinesisError`` with ``error_type`` (the code botocore puts in
``e.response["Error"]["Code"]``), ``message`` and ``code`` (the HTTP status). They subclass moto's
``JsonRESTError`` (through ``labsim._moto.LabJsonError``) so that an operation served by moto's KinesisResponse renders them exactly as
the fast path (``labsim.streams.wire``) does: a JSON body ``{"__type": ..., "message": ...}``.

Which code for what (kinesis-facts 1.8; botocore model ``kinesis/2013-12-02``):

- ``ValidationException``: a value breaks a constraint of the API model (length, pattern, range),
  worded "1 validation error detected: Value '...' at '...' failed to satisfy constraint: ...";
  also provisioned-only APIs on an on-demand stream and a bad ``MaxRecordSizeInKiB``.
- ``InvalidArgumentException``: a value is well-formed but not acceptable (hash key above 2**128-1,
  request over 10 MiB, retention out of range, a split key outside the shard).
- ``ResourceNotFoundException``: no such stream (also a data-plane call on a CREATING stream).
- ``ResourceInUseException``: the stream is not ACTIVE for a control-plane change, or already exists.
- ``LimitExceededException``: too many streams CREATING, too many mode switches, shard quota.
- ``ProvisionedThroughputExceededException``: a shard's write budget is spent.
"""

from __future__ import annotations

from labsim._moto import LabJsonError

from labsim import errors as _errors
from labsim.errors import SERIALIZATION_MESSAGE, enum, length_at_least, length_at_most, not_null, pattern, value_at_least, value_at_most

__all__ = ["enum", "length_at_least", "length_at_most", "not_null", "pattern", "value_at_least", "value_at_most"]


class KinesisError(LabJsonError):
    """Base class: ``error_type`` (AWS error code), ``message``, ``code`` (HTTP status, 400)."""


class ValidationError(KinesisError):
    error_type_default = "ValidationException"


class InvalidArgumentError(KinesisError):
    error_type_default = "InvalidArgumentException"


class ResourceNotFoundError(KinesisError):
    error_type_default = "ResourceNotFoundException"


class ResourceInUseError(KinesisError):
    error_type_default = "ResourceInUseException"


class LimitExceededError(KinesisError):
    error_type_default = "LimitExceededException"


class ThroughputExceededError(KinesisError):
    error_type_default = "ProvisionedThroughputExceededException"


class InternalFailureError(KinesisError):
    error_type_default = "InternalFailure"
    code = 500


class ExpiredIteratorError(KinesisError):
    error_type_default = "ExpiredIteratorException"


class ExpiredNextTokenError(KinesisError):
    error_type_default = "ExpiredNextTokenException"


class SerializationError(KinesisError):
    error_type_default = "SerializationException"

    def __init__(self, message: str = SERIALIZATION_MESSAGE) -> None:
        super().__init__(message)


# --- message builders (the wording is shared by every service: labsim.errors) ----------------------
def validation_errors(problems: list[str]) -> ValidationError:
    """One ValidationException listing every broken constraint, as the service does."""
    return _errors.validation_errors(problems, ValidationError)  # type: ignore[return-value]


def stream_not_found(name: str, account_id: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"Stream {name} under account {account_id} not found.")


def stream_exists(name: str, account_id: str) -> ResourceInUseError:
    return ResourceInUseError(f"Stream {name} under account {account_id} already exists.")


def stream_not_active(name: str, account_id: str, status: str) -> ResourceInUseError:
    return ResourceInUseError(f"Stream {name} under account {account_id} not ACTIVE, instead in state {status}")


def shard_throttled(shard_id: str, stream: str, account_id: str) -> str:
    return f"Rate exceeded for shard {shard_id} in stream {stream} under account {account_id}."


def on_demand_refused(name: str, account_id: str) -> ValidationError:
    return ValidationError(f"Request is invalid. Stream {name} under account {account_id} is in On-Demand mode.")
