"""The lab's clock: simulated time, and the scheduler that runs labsim's background work.

A lab owns exactly one clock. Two kinds exist:

* ``VirtualClock`` (the default). Time stands still until ``advance()`` moves it, and then it jumps
  at once. Every task scheduled inside the window runs, in time order, on the thread that called
  ``advance()``. Nothing depends on how fast the machine is, so every run gives the same result.
* ``WallClock`` for live demos. Time is the machine's; a background thread runs tasks as they fall due.

Both share one interface, so simulated components (Firehose buffers, KCL lease renewals, KPL send
loops) are written once against ``call_at`` / ``call_later`` / ``call_every`` and run in either mode.

Which threads move time: only the thread that started the lab, threads labsim starts for itself, and
threads a learner adopts with ``clock.adopt_thread()``. A ``time.sleep`` on any other thread (Jupyter's,
tqdm's) sleeps for real and leaves simulated time alone.

>>> clock = VirtualClock(start=0)
>>> task = clock.call_every(2, lambda: print("tick at", clock.now()))
>>> clock.advance(5)
tick at 2.0
tick at 4.0
5.0
"""

from __future__ import annotations

import datetime as _dt
import math
import threading
import time as _time
from typing import Any, Callable

from .scheduling import Task, TaskError, TaskFailure, TaskQueue, run_task

__all__ = [
    "Clock", "VirtualClock", "WallClock", "Task", "TaskError", "TaskFailure", "make_clock",
    "DEFAULT_START", "MAX_SLEEP_SECONDS",
]

# The real functions, captured at import so nothing labsim patches can change them.
real_time = _time.time
real_sleep = _time.sleep
real_monotonic = _time.monotonic

#: Where a virtual clock starts unless told otherwise: 2026-01-01T00:00:00Z. A fixed start makes
#: timestamps, sequence numbers and plots identical from run to run.
DEFAULT_START = 1767225600.0

#: The longest sleep Python itself accepts: its clocks count nanoseconds in a signed 64-bit
#: integer, so ``time.sleep`` refuses about 292 years or more with ``OverflowError``. The lab's
#: clock refuses the same, instead of looping for ever over repeating tasks.
MAX_SLEEP_SECONDS = 2**63 / 1e9


class Clock:
    """Shared behaviour: the task queue (``labsim.scheduling``), thread ownership and error keeping."""

    mode = "abstract"

    def __init__(self) -> None:
        self._queue = TaskQueue()
        # _lock guards the queue only and is held briefly; tasks never run under it, so a task may
        # make boto3 calls while a request thread schedules work without the two deadlocking.
        self._lock = threading.RLock()
        self._advance_lock = threading.RLock()
        self._owners: set[int] = {threading.get_ident()}
        self.failures: list[TaskFailure] = []
        self.closed = False

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        """Current time in epoch seconds (float)."""
        raise NotImplementedError

    def datetime(self) -> _dt.datetime:
        """Current time as an aware UTC datetime."""
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.timezone.utc)

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``, running every task that falls due. Returns the new time.

        Refuses what ``time.sleep`` refuses, with the same exception, and leaves the clock where it
        was: NaN or a negative number (``ValueError``), infinity or :data:`MAX_SLEEP_SECONDS` and
        more (``OverflowError``).
        """
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        """What ``time.sleep`` does inside the lab on a thread that belongs to it."""
        self.advance(seconds)

    # -- threads ------------------------------------------------------------------------------
    def adopt_thread(self, thread: threading.Thread | None = None) -> None:
        """Let ``time.sleep`` on this thread (default: the current one) move simulated time."""
        ident = thread.ident if thread is not None else threading.get_ident()
        if ident is None:
            raise ValueError("adopt_thread() needs a started thread")
        self._owners.add(ident)

    def release_thread(self, thread: threading.Thread | None = None) -> None:
        ident = thread.ident if thread is not None else threading.get_ident()
        self._owners.discard(ident)

    def owns_current_thread(self) -> bool:
        return threading.get_ident() in self._owners

    # -- scheduling ---------------------------------------------------------------------------
    def call_at(self, when: float, fn: Callable[[], Any], *, name: str | None = None) -> Task:
        """Run ``fn()`` once when the clock reaches ``when`` (epoch seconds)."""
        task = Task(fn, name or getattr(fn, "__name__", "task"), None)
        self._push(task, float(when))
        return task

    def call_later(self, delay: float, fn: Callable[[], Any], *, name: str | None = None) -> Task:
        """Run ``fn()`` once, ``delay`` seconds from now."""
        check_seconds(delay, "delay")
        return self.call_at(self.now() + delay, fn, name=name)

    def call_every(
        self,
        interval: float,
        fn: Callable[[], Any],
        *,
        name: str | None = None,
        first: float | None = None,
    ) -> Task:
        """Run ``fn()`` every ``interval`` seconds (first after ``first`` seconds, default one interval)."""
        check_seconds(interval, "interval")
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        task = Task(fn, name or getattr(fn, "__name__", "task"), float(interval))
        self._push(task, self.now() + (interval if first is None else first))
        return task

    def pending(self) -> list[Task]:
        """Tasks still waiting to run, soonest first."""
        with self._lock:
            return self._queue.pending()

    def next_due(self) -> float | None:
        with self._lock:
            return self._queue.next_due()

    def _push(self, task: Task, due: float) -> None:
        with self._lock:
            self._queue.push(task, due)

    def _pop_due(self, until: float) -> Task | None:
        with self._lock:
            return self._queue.pop_due(until)

    def _run(self, task: Task) -> None:
        if run_task(task, self.failures, "lab.clock.failures"):
            self._push(task, task.due + task.interval)  # type: ignore[operator]

    def close(self) -> None:
        """Drop every pending task; a closed clock is not used again (a restarted lab makes a new one)."""
        with self._lock:
            self._queue.clear()
        self.closed = True


class VirtualClock(Clock):
    """Simulated time that moves only when told to, and then instantly."""

    mode = "virtual"

    def __init__(self, start: float | None = None) -> None:
        super().__init__()
        self._now = float(DEFAULT_START if start is None else start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        check_seconds(seconds, "seconds")
        with self._advance_lock:
            target = self._now + seconds
            # A task may itself sleep (a retry back-off) and so advance the clock re-entrantly;
            # the loop re-reads the queue each time, and time never moves backwards.
            while (task := self._pop_due(target)) is not None:
                self._now = max(self._now, task.due)  # type: ignore[type-var]
                self._run(task)
            self._now = max(self._now, target)
            return self._now

    def advance_to(self, when: float) -> float:
        """Advance until the clock reads ``when`` (no-op if it already has)."""
        return self.advance(max(0.0, when - self._now))

    def run_until_idle(self, limit: float = 3600.0) -> float:
        """Advance through one-off tasks until none is left, at most ``limit`` simulated seconds.

        Periodic tasks never finish, so they are ignored when deciding whether the queue is idle.
        """
        deadline = self._now + limit
        while True:
            with self._lock:
                one_offs = [t.due for t in self._queue.pending() if t.interval is None]
            if not one_offs or min(one_offs) > deadline:
                return self._now
            self.advance_to(min(one_offs))


class WallClock(Clock):
    """Real time, for live demos: a background thread runs tasks as they fall due."""

    mode = "wall"

    def __init__(self, tick: float = 0.01) -> None:
        super().__init__()
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="labsim-wallclock", daemon=True)
        self._thread.start()
        self.adopt_thread(self._thread)

    def now(self) -> float:
        return real_time()

    def advance(self, seconds: float) -> float:
        check_seconds(seconds, "seconds")
        real_sleep(seconds)
        return self.now()

    def _loop(self) -> None:
        while not self._stop.is_set():
            while (task := self._pop_due(self.now())) is not None:
                self._run(task)
            self._stop.wait(self._tick)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        super().close()


def check_seconds(value: Any, what: str) -> None:
    """Refuse what ``time.sleep`` refuses, with the same exception type, and say why."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {type(value).__name__}")
    if value != value:
        raise ValueError(f"{what} must be a number of seconds, got NaN (not a number), as time.sleep refuses it")
    if math.isinf(value) or abs(value) >= MAX_SLEEP_SECONDS:
        raise OverflowError(
            f"{what}={value!r} is out of range (time.sleep refuses it too): simulated time moves by a finite "
            f"number of seconds below {MAX_SLEEP_SECONDS:.3g}; the clock was left unchanged"
        )
    if value < 0:
        raise ValueError(f"{what} must be zero or positive, got {value!r}: time only moves forward")


def make_clock(kind: str | Clock = "virtual", start: float | None = None) -> Clock:
    """Build a clock from the ``Lab(clock=...)`` argument."""
    if isinstance(kind, Clock):
        return kind
    if kind == "virtual":
        return VirtualClock(start)
    if kind == "wall":
        if start is not None:
            raise ValueError("a wall clock always starts at the real time; drop start=")
        return WallClock()
    raise ValueError(f"clock must be 'virtual' or 'wall', got {kind!r}")
