"""Firehose's errors: the service's codes, HTTP statuses and messages (FH-API error shapes).

Every error is a ``FirehoseError`` (moto's ``JsonRESTError``), so moto's FirehoseResponse renders it
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

import json

from moto.core.exceptions import JsonRESTError
from werkzeug.exceptions import HTTPException


class FirehoseError(JsonRESTError):
    """Base class: ``error_type`` (the AWS code), ``message``, ``code`` (HTTP status)."""

    error_type_default = "InternalFailure"
    code = 400

    def __init__(self, message: str) -> None:
        # JsonRESTError.__init__ also renders an XML body that is never used here.
        HTTPException.__init__(self)
        self.error_type = self.error_type_default
        self.message = message
        self.description = json.dumps({"__type": self.error_type, "message": message})
        self.content_type = "application/json"

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


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
