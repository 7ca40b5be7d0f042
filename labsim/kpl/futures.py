"""What ``put_record`` gives back: a future that settles into a :class:`UserRecordResult`.

A future settles exactly once, when its user record has either succeeded or failed for good
(a non-retried error with ``fail_if_throttled``, or the record's time to live ran out). Nothing is
dropped silently: every record's future settles, and ``result().attempts`` tells its story, one
:class:`Attempt` per try (start and end times, error code and message, or shard and sequence
number).

``result(timeout)`` waits. In a lab with a virtual clock "waiting" means moving simulated time
forward until the record has settled (so ``put_record(...).result()`` just works in a notebook)
and ``timeout`` is in simulated seconds; elsewhere it blocks the calling thread.

``add_done_callback(fn)`` calls ``fn(future)`` once the record settles (at once if it already
has). Callbacks run on the producer's send loop; an exception inside one is caught, kept in
``producer.callback_errors`` and reported with a :class:`CallbackError` warning, and the
producer carries on.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, NamedTuple, Protocol


class FutureOwner(Protocol):
    """What a future needs from the producer that made it (``KinesisProducer`` has both)."""

    def wait_for(self, future: "RecordFuture", timeout: float | None) -> None: ...

    def run_callback(self, fn: Callable[["RecordFuture"], Any], future: "RecordFuture") -> None: ...


class CallbackError(UserWarning):
    """Warning category: a done-callback raised; the producer kept the error and carried on."""


class Attempt(NamedTuple):
    """One try at sending a user record (KPL ``Attempt``).

    ``started_at`` / ``ended_at`` are epoch seconds on the producer's clock; ``delay_ms`` is the
    time the record waited before this try (since it was put, or since the previous try ended),
    ``duration_ms`` how long the request took.
    """

    started_at: float
    ended_at: float
    delay_ms: float
    duration_ms: float
    success: bool
    error_code: str | None = None
    error_message: str | None = None
    shard_id: str | None = None
    sequence_number: str | None = None


class UserRecordResult(NamedTuple):
    """The outcome of one ``put_record`` (KPL ``UserRecordResult``)."""

    successful: bool
    sequence_number: str | None
    sub_sequence_number: int | None
    shard_id: str | None
    attempts: tuple[Attempt, ...] = ()
    partition_key: str = ""
    explicit_hash_key: str | None = None

    @property
    def error_code(self) -> str | None:
        """Error code of the last attempt (``None`` on success)."""
        return self.attempts[-1].error_code if self.attempts and not self.successful else None

    @property
    def error_message(self) -> str | None:
        return self.attempts[-1].error_message if self.attempts and not self.successful else None

    def __repr__(self) -> str:
        if self.successful:
            return (
                f"UserRecordResult(successful=True, shard_id={self.shard_id!r}, "
                f"sequence_number={self.sequence_number!r}, sub_sequence_number={self.sub_sequence_number}, "
                f"attempts={len(self.attempts)})"
            )
        return f"UserRecordResult(successful=False, error_code={self.error_code!r}, attempts={len(self.attempts)})"


_FUTURES_LOCK = threading.Lock()  # guards every future's callbacks and event (cheap: held briefly)


class RecordFuture:
    """A pending :class:`UserRecordResult` (``done``, ``result``, ``add_done_callback``)."""

    __slots__ = ("_producer", "_result", "_event", "_callbacks")

    def __init__(self, producer: "FutureOwner") -> None:
        self._producer = producer
        self._result: UserRecordResult | None = None
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[["RecordFuture"], Any]] | None = None

    def done(self) -> bool:
        return self._result is not None

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        """Records cannot be taken back once put (the KPL has no cancel either)."""
        return False

    def result(self, timeout: float | None = None) -> UserRecordResult:
        """The record's result, waiting for it if needed (see the module docstring for timeouts).

        Raises ``TimeoutError`` if the record has not settled within ``timeout`` seconds.
        """
        if self._result is None:
            self._producer.wait_for(self, timeout)
        if self._result is None:
            raise TimeoutError(f"the record has not settled within {timeout} s (it is still buffered or being retried)")
        return self._result

    def exception(self, timeout: float | None = None) -> None:
        """Always ``None`` once settled: a failed record is a result with ``successful=False``."""
        self.result(timeout)
        return None

    def add_done_callback(self, fn: Callable[["RecordFuture"], Any]) -> None:
        with _FUTURES_LOCK:
            if self._result is None:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        self._producer.run_callback(fn, self)

    def wait_settled(self, timeout: float | None) -> None:
        """Block this thread until settled (real-time schedulers only)."""
        with _FUTURES_LOCK:
            if self._result is not None:
                return
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        event.wait(timeout)

    def set_result(self, result: UserRecordResult) -> list[Callable[["RecordFuture"], Any]]:
        with _FUTURES_LOCK:
            self._result = result
            callbacks, self._callbacks = self._callbacks, None
            event = self._event
        if event is not None:
            event.set()
        return callbacks or []

    def __repr__(self) -> str:
        state = "pending" if self._result is None else repr(self._result)
        return f"<RecordFuture {state}>"


def warn_callback(exc: BaseException) -> None:
    warnings.warn(
        f"labsim.kpl: a done-callback raised {type(exc).__name__}: {exc}. The producer kept going; "
        f"the error is in producer.callback_errors",
        CallbackError,
        stacklevel=3,
    )
