"""The producer's errors: the exception it raises, the error codes its results carry, their text.

``put_record`` raises only for bad input (``TypeError`` / ``ValueError``, saying what to fix) and on a
closed producer (:class:`ProducerClosedError`). Everything that goes wrong later is a *result*: the
future settles with ``successful=False`` and the last attempt's ``error_code`` and message, which are
the service's own (``ProvisionedThroughputExceededException``, ``InternalFailure``, ...) or the KPL's:

===================  ==========================================================================
``Expired``          ``record_ttl_ms`` ran out before the record got through
``Wrong Shard``      (an attempt, not a final result) the record landed in an unpredicted shard
``LabStopped``       labsim only: the lab the producer was made in has stopped, so nothing can be
                     sent (no network attempt is made)
===================  ==========================================================================
"""

from __future__ import annotations

__all__ = [
    "ProducerClosedError", "THROTTLED", "EXPIRED", "WRONG_SHARD", "LAB_STOPPED", "lab_stopped_message", "error_of",
]

THROTTLED = "ProvisionedThroughputExceededException"
EXPIRED = "Expired"
EXPIRED_MESSAGE = "Record has reached expiration"
WRONG_SHARD = "Wrong Shard"
LAB_STOPPED = "LabStopped"


class ProducerClosedError(RuntimeError):
    """``put_record`` on a producer that has been closed."""


def lab_stopped_message(stream_name: str) -> str:
    return (
        f"the lab this producer (stream {stream_name!r}) was made in has stopped, so the record cannot be sent: "
        "start a lab (`with Lab() as lab:`) and create a new KinesisProducer inside it"
    )


def error_of(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore ClientError, or of any other exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return str(err.get("Code") or type(exc).__name__), str(err.get("Message") or exc)
    return type(exc).__name__, str(exc)
