"""labsim: Amazon Kinesis Data Streams and Amazon Data Firehose, simulated offline for learning.

Layers (dependencies point down only):
  3 teaching         labsim.viz, labsim.quiz, labsim.grading
  2 client libraries labsim.kpl, labsim.kcl, labsim.agent   (boto3 only)
  1 service physics  labsim.streams, labsim.firehose, labsim.logs, labsim.iot, ...  (moto backends, server side)
  0 lab              labsim.lab, labsim.context, labsim.clock, labsim.quotas, labsim.safety,
                     labsim.transport

Names are imported lazily, so ``import labsim.quiz`` (a terminal exam) does not pay for moto.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: The layer-1 physics a lab starts, in order ("module:Class"); each class implements
#: ``labsim.lab.Physics`` and is built afresh for every lab.
PHYSICS = [
    "labsim.cloudwatch:CloudWatchPhysics",
    "labsim.streams:StreamsPhysics",
    "labsim.logs:LogsPhysics",
    "labsim.iot:IotPhysics",
]

_LAZY = {
    "Lab": "labsim.lab",
    "LabError": "labsim.lab",
    "current_lab": "labsim.lab",
    "Clock": "labsim.clock",
    "VirtualClock": "labsim.clock",
    "WallClock": "labsim.clock",
    "NetworkBlockedError": "labsim.safety",
}

__all__ = sorted(_LAZY)


def physics_classes() -> list[Any]:
    """The classes named in ``PHYSICS``, imported."""
    out = []
    for entry in PHYSICS:
        module, _, name = entry.partition(":")
        out.append(getattr(importlib.import_module(module), name))
    return out


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'labsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
