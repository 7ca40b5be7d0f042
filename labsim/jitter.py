"""botocore's retry jitter, drawn from the lab's seed while a lab runs (layer 0).

botocore waits a random time before retrying a throttled call (``rand(0, 1) * base * 2**attempt``).
In a lab that sleep moves simulated time, so the random draw decides what the next call sees: with
Python's global ``random`` the same notebook cell could pass or be throttled depending on what ran
before it in the kernel. While a lab runs, both of botocore's retry modes draw from one random
source seeded from the lab's seed (``LabContext.rng("retry-jitter")``); ``remove`` restores them.
"""

from __future__ import annotations

import random
from typing import Any, Callable

import botocore.retries.standard as _standard
import botocore.retryhandler as _legacy

_saved: dict[str, Any] = {}


def install(rng: random.Random) -> Callable[[], None]:
    """Make botocore's retry jitter come from ``rng`` until the returned undo is called."""
    if _saved:
        raise RuntimeError("retry jitter is already drawn from a lab's seed")
    original_delay = _standard.ExponentialBackoff.delay_amount
    _saved["delay_amount"] = original_delay
    _saved["legacy_random"] = _legacy.random

    def delay_amount(self: Any, context: Any) -> float:
        # The standard mode's backoff keeps the function it was built with; give it the lab's.
        self._random = rng.random
        return original_delay(self, context)

    _standard.ExponentialBackoff.delay_amount = delay_amount  # type: ignore[method-assign]
    _legacy.random = rng  # the legacy mode calls random.random() on its module global
    return remove


def remove() -> None:
    if not _saved:
        return
    _standard.ExponentialBackoff.delay_amount = _saved.pop("delay_amount")  # type: ignore[method-assign]
    _legacy.random = _saved.pop("legacy_random")
