"""Opt-in, deterministic fault injection: the transient failures AWS documents, on demand (layer 0).

A real stream sometimes answers with failures a healthy lab never produces, and code that
mishandles them only breaks in production. A lab can produce them, each with a rate, drawn from
the lab's seed (``LabContext.rng("faults")``) so a notebook or a hidden test fails the same
records on every run:

==================================  =============================================================
``lab.faults.inject(...)``          what the learner's code sees
==================================  =============================================================
``"PutRecords", "InternalFailure"``  an entry of PutRecords fails on its own: ``ErrorCode``
                                     ``InternalFailure``, not stored, counted in
                                     ``FailedRecordCount`` (the others go in): retry just those
``"GetRecords", "EmptyBatch"``       GetRecords returns no records and ``MillisBehindLatest > 0``
                                     although data waits; the NextShardIterator starts at the
                                     same place: keep polling, do not stop at an empty batch
``op, "InternalFailure"``            the whole call fails with HTTP 500 ``InternalFailure``
                                     (any operation; botocore retries it)
``op, "ServiceUnavailable"``         the whole call fails with HTTP 503 ``ServiceUnavailable``
==================================  =============================================================

(kinesis-facts 1.8: PutRecords' per-record ``InternalFailure``; the GetRecords reference: "you
might get an empty Records list even when there are records in the shard"; ``InternalFailure`` and
``ServiceUnavailable`` are the common errors of every AWS API.)

>>> from labsim.context import LabContext
>>> from labsim.clock import VirtualClock
>>> faults = Faults(LabContext(VirtualClock(), "123456789012", "us-east-1", seed=1))
>>> faults.inject("PutRecords", "InternalFailure", rate=0.5)
>>> [faults.draw("kinesis", "PutRecords", "InternalFailure") for _ in range(6)]
[False, True, False, False, True, True]
>>> faults.clear(); faults.draw("kinesis", "PutRecords", "InternalFailure")
False

``times`` bounds a rule: ``inject("GetRecords", "EmptyBatch", rate=1.0, times=2)`` makes exactly the next
two GetRecords calls empty, then the rule ends (a hidden test that must catch a reader stopping at the
first empty batch cannot leave it to chance):

>>> faults.inject("GetRecords", "EmptyBatch", rate=1.0, times=2)
>>> [faults.draw("kinesis", "GetRecords", "EmptyBatch") for _ in range(3)], faults.active
([True, True, False], False)
"""

from __future__ import annotations

from typing import Any

from .errors import ServiceError

#: Whole-call faults: error code -> HTTP status.
CALL_FAULTS = {"InternalFailure": 500, "ServiceUnavailable": 503}
#: Faults a service applies inside an operation: (operation, kind).
IN_OPERATION = {("PutRecords", "InternalFailure"), ("GetRecords", "EmptyBatch")}
_MESSAGES = {
    "InternalFailure": "Internal service failure.",
    "ServiceUnavailable": "The service is unavailable. Please try again later.",
}


class Faults:
    """The faults one lab injects, with their rates. Empty (and free) unless ``inject`` is called."""

    __slots__ = ("_rng", "_rules", "_left", "active", "injected")

    def __init__(self, context: Any) -> None:
        self._rng = context.rng("faults")
        self._rules: dict[tuple[str, str, str], float] = {}
        self._left: dict[tuple[str, str, str], int] = {}  # faults a rule with ``times`` may still inject
        self.active = False
        #: How many faults were injected so far, by (service, operation, kind), for lessons.
        self.injected: dict[tuple[str, str, str], int] = {}

    def inject(
        self, operation: str, kind: str, rate: float = 1.0, service: str = "kinesis", *, times: int | None = None
    ) -> None:
        """From now on, fail ``operation`` with ``kind`` with probability ``rate`` (0 to 1), at most
        ``times`` times if given (then the rule ends)."""
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be a number from 0 to 1, got {rate!r}")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ValueError(f"times must be a whole number of faults, 1 or more (or None: no limit), got {times!r}")
        if kind not in CALL_FAULTS and (operation, kind) not in IN_OPERATION:
            known = sorted({f"{op}/{k}" for op, k in IN_OPERATION} | {f"<any operation>/{k}" for k in CALL_FAULTS})
            raise ValueError(f"no fault {kind!r} for {operation!r}; the lab can inject: {', '.join(known)}")
        self._rules[(service, operation, kind)] = float(rate)
        if times is None:
            self._left.pop((service, operation, kind), None)
        else:
            self._left[(service, operation, kind)] = times
        self.active = True

    def clear(self) -> None:
        """Stop injecting faults."""
        self._rules.clear()
        self._left.clear()
        self.active = False

    def draw(self, service: str, operation: str, kind: str) -> bool:
        """True if this call (or entry) is to fail with ``kind`` now."""
        rate = self._rules.get((service, operation, kind))
        if not rate:
            return False
        hit = self._rng.random() < rate
        if hit:
            key = (service, operation, kind)
            self.injected[key] = self.injected.get(key, 0) + 1
            left = self._left.get(key)
            if left is not None:
                if left > 1:
                    self._left[key] = left - 1
                else:  # the rule's last fault
                    del self._left[key], self._rules[key]
                    self.active = bool(self._rules)
        return hit

    def __call__(self, call: Any) -> None:
        """The pipeline guard: whole-call faults, before the operation runs."""
        if not self.active:
            return
        for kind, status in CALL_FAULTS.items():
            if (call.operation, kind) in IN_OPERATION:
                continue  # PutRecords' InternalFailure fails entries, inside the operation, not the call
            if self.draw(call.service, call.operation, kind):
                raise ServiceError(_MESSAGES[kind], kind, status)

    def __repr__(self) -> str:
        rules = ", ".join(f"{op}/{kind}={rate:g}" for (_, op, kind), rate in self._rules.items()) or "none"
        return f"<Faults {rules}>"


def internal_failure_message() -> str:
    return _MESSAGES["InternalFailure"]
