"""The Kinesis Client Library (KCL) for Python, on the lab clock (layer 2: boto3 only).

A record processor is written exactly as for amazon_kclpy v3 (``RecordProcessorBase``), so the same
class runs under the real MultiLangDaemon; a :class:`Worker` runs it here, with the KCL 3.x lease table
in DynamoDB, lease renewal and expiry, the leader's assignment (or 2.x-mode taking and stealing),
graceful handoff, parents before children, KPL de-aggregation and checkpoints (kcl-contract).

>>> from labsim import Lab
>>> from labsim.kcl import RecordProcessorBase, Worker
>>> seen = []
>>> class Collect(RecordProcessorBase):
...     def initialize(self, initialize_input): pass
...     def process_records(self, process_records_input):
...         seen.extend(r.binary_data for r in process_records_input.records)
...         process_records_input.checkpointer.checkpoint()
...     def lease_lost(self, lease_lost_input): pass
...     def shard_ended(self, shard_ended_input): shard_ended_input.checkpointer.checkpoint()
...     def shutdown_requested(self, shutdown_requested_input): shutdown_requested_input.checkpointer.checkpoint()
>>> with Lab() as lab:
...     kinesis = lab.client("kinesis")
...     _ = kinesis.create_stream(StreamName="orders", ShardCount=2)
...     _ = lab.clock.advance(30)
...     for n in range(6):
...         _ = kinesis.put_record(StreamName="orders", Data=b"order-%d" % n, PartitionKey=str(n))
...     worker = Worker("orders-app", "orders", Collect, worker_id="w1",
...                     config={"initial_position_in_stream": "TRIM_HORIZON"}).start()
...     _ = lab.clock.advance(10)  # fan-out: the consumer is ACTIVE after 5 s, then events come each second
...     items = lab.client("dynamodb").scan(TableName="orders-app")["Items"]
...     worker.shutdown()
>>> sorted(seen)
[b'order-0', b'order-1', b'order-2', b'order-3', b'order-4', b'order-5']
>>> sorted((i["leaseKey"]["S"], i["leaseOwner"]["S"]) for i in items if i["entityType"]["S"] == "LEASE")
[('shardId-000000000000', 'w1'), ('shardId-000000000001', 'w1')]

Where to look:

==============================  ================================================================
``labsim.kcl.worker``           ``Worker``: its tasks and their periods (module docstring), start,
                                ``shutdown()`` (graceful), ``crash()``, ``events``, ``failures``
``labsim.kcl.config``           ``KclConfig``: settings, KCL 3.x defaults, ``load_properties``
``labsim.kcl.lease_table``      the DynamoDB lease table: items, GSI, conditional writes
``labsim.kcl.assignment``       the 3.x leader's assignment and the 2.x taker, as pure functions
``labsim.kcl.shard_consumer``   one shard: parents first, SubscribeToShard or GetRecords, de-aggregation,
                                shard end
``labsim.kcl.checkpointer``     ``checkpoint()`` and its errors (``CheckpointError.value``)
``labsim.kcl.messages``         kclpy's input classes; ``labsim.kcl.processor`` its base classes
``labsim.kcl.simtime``          what ``time.time()`` reads inside a callback (the lab clock)
``labsim.kcl.timeline``         who processed which shard when, for plots
==============================  ================================================================

Retrieval: fan-out by default (SubscribeToShard with a consumer named after the application, as KCL
3.x and the daemon's DEFAULT mode), polling (GetRecords) as soon as a polling setting such as
``max_records`` or ``idle_time_between_reads_in_millis`` is given, or with ``retrieval_mode`` POLLING.

Not simulated: ``prepareCheckpoint`` (two-phase checkpoints, the lease table's ``pendingCheckpoint*``
attributes): the Java KCL has it, but kclpy's ``Checkpointer`` offers only ``checkpoint()`` and the
MultiLangDaemon's protocol has no message for it, so no Python processor can call it. Nor
multi-stream applications.
"""

from .checkpointer import Checkpointer
from .config import KclConfig, load_properties
from .lease_table import Lease, LeaseTable
from .messages import (InitializeInput, LeaseLostInput, ProcessRecordsInput, Record, ShardEndedInput,
                       ShutdownInput, ShutdownRequestedInput)
from .processor import CheckpointError, RecordProcessorBase, V1toV2Processor, V2toV3Processor
from .timeline import ownership_timeline
from .worker import KclWarning, ProcessorFailure, Worker

__all__ = [
    "Worker", "RecordProcessorBase", "CheckpointError", "KclConfig", "load_properties", "Checkpointer",
    "Record", "InitializeInput", "ProcessRecordsInput", "LeaseLostInput", "ShardEndedInput",
    "ShutdownRequestedInput", "ShutdownInput", "V1toV2Processor", "V2toV3Processor", "Lease", "LeaseTable",
    "KclWarning", "ProcessorFailure", "ownership_timeline",
]
