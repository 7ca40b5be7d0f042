"""What ``time.time()`` reads inside a processor callback: the lab's clock, in simulated time.

The published kclpy sample paces its checkpoints with ``time.time()`` (every 60 s). A lab patches only
``time.sleep``, so on a virtual clock that sample would never checkpoint. While labsim.kcl runs a
callback on a virtual clock, ``time.time()`` on that thread reads the lab clock; other threads (Jupyter's)
keep the real time. ``time.sleep`` in a callback already moves the lab clock (labsim.lab).
"""

from __future__ import annotations

import contextlib
import threading
import time as _time
from typing import Any, Iterator

_real_time = _time.time


@contextlib.contextmanager
def callback_time(scheduler: Any) -> Iterator[None]:
    if getattr(scheduler, "mode", "wall") != "virtual":
        yield
        return
    caller = threading.get_ident()
    previous = _time.time

    def lab_time() -> float:
        return scheduler.now() if threading.get_ident() == caller else _real_time()

    _time.time = lab_time  # type: ignore[assignment]
    try:
        yield
    finally:
        _time.time = previous  # type: ignore[assignment]
