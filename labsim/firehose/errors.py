"""Firehose's errors: the service's codes, HTTP statuses and messages (FH-API error shapes).

Every error is a ``FirehoseError`` (moto's ``JsonRESTError`` through ``labsim._moto.LabJsonError``), so moto's FirehoseResponse renders it
as the service does: a JSON body ``{"__type": code, "message": ...}`` that botocore turns into a
``ClientError`` whose ``e.response["Error"]["Code"]`` is the code below.

- ``ValidationException``: a value breaks the API model (length, pattern, range, enum).
- ``InvalidArgumentException``: well-formed but not acceptable (two destinations, a buffering hint out
  of its destination's range, an ErrorOutputPrefix rule, PutRecord on a KinesisStreamAsSource stream,
  a batch over 500 records or 4 MiB).
- ``ResourceNotFoundException`` / ``ResourceInUseException`` / ``LimitExceededException`` /
  ``ConcurrentModificationException``: as their names say.
- ``ServiceUnavailableException`` (HTTP 503, botocore retries it): the stream's Direct PUT
  throughput quota is spent ("Slow down.").
"""

from __future__ import annotations

from labsim._moto import LabJsonError


class FirehoseError(LabJsonError):
    """Base class: ``error_type`` (the AWS code), ``message``, ``code`` (HTTP status)."""


class ValidationError(FirehoseError):
    error_type_default = "ValidationException"


class InvalidArgumentError(FirehoseError):
    error_type_default = "InvalidArgumentException"


class ResourceNotFoundError(FirehoseError):
    error_type_default = "ResourceNotFoundException"


class ResourceInUseError(FirehoseError):
    error_type_default = "ResourceInUseException"


class LimitExceededError(FirehoseError):
    error_type_default = "LimitExceededException"


class ConcurrentModificationError(FirehoseError):
    error_type_default = "ConcurrentModificationException"


class ServiceUnavailableError(FirehoseError):
    error_type_default = "ServiceUnavailableException"
    code = 503


def not_found(name: str, account_id: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"Firehose {name} under account {account_id} not found.")


def slow_down() -> ServiceUnavailableError:
    return ServiceUnavailableError("Slow down.")
