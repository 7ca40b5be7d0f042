"""What a lab hands to every service it runs: its clock, account, Region and seed (layer 0, a leaf).

Backends never look the running lab up; the lab passes one ``LabContext`` down when it starts, and
``labsim._moto.swap_backend_class`` binds it to the backend class moto instantiates, so every
backend, in every account and Region, reads ``self.context``.

Everything random that can change what a learner sees derives from the seed, one independent stream
per purpose, so adding a new random draw in one service never shifts another's:

>>> from labsim.clock import VirtualClock
>>> ctx = LabContext(VirtualClock(start=0), account_id="123456789012", region="us-east-1", seed=7)
>>> ctx.rng("retry-jitter").random() == LabContext(VirtualClock(), "1", "r", seed=7).rng("retry-jitter").random()
True
>>> ctx.rng("retry-jitter").random() == ctx.rng("faults").random()
False
>>> len(ctx.secret("iterators"))
32
"""

from __future__ import annotations

import hashlib
import random
from typing import Any


class LabContext:
    """A lab's clock, account, Region and seed, as every service of that lab sees them."""

    __slots__ = ("clock", "account_id", "region", "seed", "faults", "network")

    def __init__(self, clock: Any, account_id: str, region: str, seed: int = 0) -> None:
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.seed = seed
        #: The lab's ``labsim.faults.Faults`` (injects nothing unless asked).
        self.faults: Any = None
        #: The lab's ``labsim.network.Network`` (ideal, no latency, unless placed).
        self.network: Any = None

    def now(self) -> float:
        return self.clock.now()

    def secret(self, purpose: str) -> bytes:
        """32 bytes derived from the seed: the same every run, different per purpose."""
        return hashlib.sha256(f"labsim:{purpose}:{self.seed}".encode()).digest()

    def rng(self, purpose: str) -> random.Random:
        """A fresh random source for ``purpose``, seeded from the lab's seed."""
        return random.Random(int.from_bytes(self.secret(f"rng:{purpose}")[:8], "big"))

    def __repr__(self) -> str:
        return f"<LabContext account={self.account_id} region={self.region} seed={self.seed}>"
