"""labsim: Amazon Kinesis Data Streams and Amazon Data Firehose, simulated offline for learning.

Layers (dependencies point down only; tests/test_layers.py also forbids import circles):
  3 teaching         labsim.viz, labsim.quiz, labsim.grading
  2 client libraries labsim.kpl, labsim.kcl, labsim.agent   (boto3 only)
  1 service physics  labsim.cloudwatch, labsim.streams, labsim.dynamodb, labsim.firehose,
                     labsim.logs, labsim.iot, labsim.iam, labsim.kms, labsim.awslambda, labsim.redshift
                     (moto backends, server side)
  0 lab              labsim.lab, labsim.context, labsim.clock, labsim.quotas, labsim.safety,
                     labsim.transport, labsim.validation, labsim.errors, labsim.pagetokens,
                     labsim.jitter, labsim.faults, labsim.keyspace, labsim.scheduling,
                     labsim.tokenbucket

How a request flows (labsim.transport):
  boto3 call -> botocore before-send -> Router
    -> Call: service, operation, parameters, Region and account (SigV4 scope, access key), principal
    -> guards in order: the model guard (labsim.validation: botocore's shapes, ValidationException),
       then IAM, call counting, fault injection as they are added (router.add_guard)
    -> the operation's ONE implementation: a handler registered with router.register(service,
       operation, handler) that calls a typed method of the service's lab backend, or else moto's
       response class, which reaches the same backend
    -> a codec for the service's protocol renders the result or the AWS error

Plugging in a physics module (Firehose as the worked example):
  1. labsim/firehose/backend.py: ``class LabFirehoseBackend(LabBackendMixin, FirehoseBackend)``;
     its methods implement the operations and read the lab's clock, account and seed from
     ``self.context`` (a ``labsim.context.LabContext``); background work (buffer flushes) runs
     as tasks on ``self.context.clock``.
  2. labsim/firehose/__init__.py: ``class FirehosePhysics`` with ``name``, ``start(lab)`` and
     ``stop(lab)``. ``start`` swaps the backend in with
     ``_moto.swap_backend_class("firehose", LabFirehoseBackend, lab.context)`` and, for a hot
     operation, ``router.register("firehose", "PutRecordBatch", handler)``; it keeps every undo
     these return and ``stop`` calls them all.
  3. Add "labsim.firehose:FirehosePhysics" to ``PHYSICS`` below, and the unit to tests/test_layers.py.
  4. Services talk to each other through backend methods, never through JSON: a Kinesis stream
     source calls ``LabKinesisBackend.read_shard`` (labsim.streams.reads.read_shard).

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
    "labsim.dynamodb:DynamoDBPhysics",
    "labsim.firehose:FirehosePhysics",
    "labsim.logs:LogsPhysics",
    "labsim.iot:IotPhysics",
    "labsim.iam:IamPhysics",
    "labsim.kms:KmsPhysics",
    "labsim.redshift:RedshiftPhysics",
    "labsim.awslambda:LambdaPhysics",
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
