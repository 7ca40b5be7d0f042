"""The lease table: one DynamoDB table per application, as KCL 3.5 writes it (kcl-contract 4).

Key ``leaseKey`` (S), GSI ``LeaseOwnerToLeaseKeyIndex`` (``leaseOwner``, ``leaseKey``, KEYS_ONLY). Items
carry ``entityType``: ``LEASE`` (one per shard), ``WORKER_METRIC_STATS`` (one per worker, ``leaseKey`` =
worker id) and ``LEADER`` (the leader lock, ``leaseKey`` = "Leader"). Every write that a concurrent
worker could race is conditional on ``leaseCounter`` (or on the owner), so two workers never both hold
a lease for long. Plain boto3 only: this is what any DynamoDB client would see.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

LEASE, WORKER_METRICS, LEADER = "LEASE", "WORKER_METRIC_STATS", "LEADER"
OWNER_INDEX = "LeaseOwnerToLeaseKeyIndex"
SENTINELS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END")


class LeaseTableThrottled(Exception):
    """The lease table answered ProvisionedThroughputExceededException."""


class Lease:
    """One shard's lease as read from (and written to) the table."""

    __slots__ = ("key", "owner", "counter", "checkpoint", "sub", "owner_switches", "parents", "children",
                 "starting_hash_key", "ending_hash_key", "throughput_kbps", "checkpoint_owner")

    def __init__(self, key: str, *, owner: str | None = None, counter: int = 0, checkpoint: str = "TRIM_HORIZON",
                 sub: int = 0, owner_switches: int = 0, parents: tuple[str, ...] = (), children: tuple[str, ...] = (),
                 starting_hash_key: str = "0", ending_hash_key: str = "0", throughput_kbps: float = 0.0,
                 checkpoint_owner: str | None = None) -> None:
        self.key, self.owner, self.counter = key, owner, counter
        self.checkpoint, self.sub, self.owner_switches = checkpoint, sub, owner_switches
        self.parents, self.children = tuple(parents), tuple(children)
        self.starting_hash_key, self.ending_hash_key = starting_hash_key, ending_hash_key
        self.throughput_kbps, self.checkpoint_owner = throughput_kbps, checkpoint_owner

    @property
    def ended(self) -> bool:
        return self.checkpoint == "SHARD_END"

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Lease":
        def s(name: str, default: Any = None) -> Any:
            return item[name]["S"] if name in item else default

        def n(name: str, default: float = 0) -> float:
            return float(item[name]["N"]) if name in item else default

        return cls(
            s("leaseKey"), owner=s("leaseOwner"), counter=int(n("leaseCounter")), checkpoint=s("checkpoint", "TRIM_HORIZON"),
            sub=int(n("checkpointSubSequenceNumber")), owner_switches=int(n("ownerSwitchesSinceCheckpoint")),
            parents=tuple(sorted(item.get("parentShardId", {}).get("SS", []))),
            children=tuple(sorted(item.get("childShardIds", {}).get("SS", []))),
            starting_hash_key=s("startingHashKey", "0"), ending_hash_key=s("endingHashKey", "0"),
            throughput_kbps=n("throughputKBps"), checkpoint_owner=s("checkpointOwner"),
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "leaseKey": {"S": self.key}, "entityType": {"S": LEASE}, "leaseCounter": {"N": str(self.counter)},
            "checkpoint": {"S": self.checkpoint}, "checkpointSubSequenceNumber": {"N": str(self.sub)},
            "ownerSwitchesSinceCheckpoint": {"N": str(self.owner_switches)},
            "startingHashKey": {"S": self.starting_hash_key}, "endingHashKey": {"S": self.ending_hash_key},
        }
        if self.owner:
            item["leaseOwner"] = {"S": self.owner}
        if self.parents:
            item["parentShardId"] = {"SS": list(self.parents)}
        if self.children:
            item["childShardIds"] = {"SS": list(self.children)}
        return item

    def __repr__(self) -> str:
        return f"<Lease {self.key} owner={self.owner} counter={self.counter} checkpoint={self.checkpoint}/{self.sub}>"


def _code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


class LeaseTable:
    """Reads and conditional writes of one application's lease table through a boto3 DynamoDB client."""

    __slots__ = ("client", "name")

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """Call DynamoDB; False on a failed condition, LeaseTableThrottled on throttling."""
        try:
            return getattr(self.client, operation)(TableName=self.name, **kwargs)
        except ClientError as err:
            code = _code(err)
            if code == "ConditionalCheckFailedException":
                return False
            if code in ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"):
                raise LeaseTableThrottled(str(err)) from None
            raise

    # -- the table ------------------------------------------------------------------------------
    def ensure(self, billing_mode: str, read_capacity: int, write_capacity: int) -> bool:
        """Create the table if it does not exist; True if this call created it."""
        params: dict[str, Any] = dict(
            TableName=self.name,
            KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"},
                                  {"AttributeName": "leaseOwner", "AttributeType": "S"}],
            BillingMode=billing_mode,
        )
        index: dict[str, Any] = {"IndexName": OWNER_INDEX, "Projection": {"ProjectionType": "KEYS_ONLY"},
                                 "KeySchema": [{"AttributeName": "leaseOwner", "KeyType": "HASH"},
                                               {"AttributeName": "leaseKey", "KeyType": "RANGE"}]}
        if billing_mode == "PROVISIONED":
            throughput = {"ReadCapacityUnits": read_capacity, "WriteCapacityUnits": write_capacity}
            params["ProvisionedThroughput"] = throughput
            index["ProvisionedThroughput"] = dict(throughput)
        params["GlobalSecondaryIndexes"] = [index]
        try:
            self.client.create_table(**params)
        except ClientError as err:
            if _code(err) == "ResourceInUseException":
                return False
            raise
        return True

    # -- reads ----------------------------------------------------------------------------------
    def scan_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = self._call("scan", **kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def list_leases(self) -> list[Lease]:
        return sorted((Lease.from_item(i) for i in self.scan_items() if i.get("entityType", {}).get("S", LEASE) == LEASE),
                      key=lambda lease: lease.key)

    def get(self, key: str) -> Lease | None:
        item = self._call("get_item", Key={"leaseKey": {"S": key}}, ConsistentRead=True).get("Item")
        return Lease.from_item(item) if item else None

    def owned_by(self, owner: str) -> list[str]:
        """Lease keys the GSI lists for ``owner`` (what a 3.x worker reads to discover its leases)."""
        keys: list[str] = []
        kwargs: dict[str, Any] = {"IndexName": OWNER_INDEX, "KeyConditionExpression": "leaseOwner = :o",
                                  "ExpressionAttributeValues": {":o": {"S": owner}}}
        while True:
            page = self._call("query", **kwargs)
            keys.extend(i["leaseKey"]["S"] for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(k for k in keys if k.startswith("shardId-"))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- lease writes (each returns False when its condition failed) ------------------------------
    def create(self, lease: Lease) -> bool:
        return self._call("put_item", Item=lease.to_item(), ConditionExpression="attribute_not_exists(leaseKey)") is not False

    def renew(self, lease: Lease, owner: str, throughput_kbps: float) -> bool:
        ok = self._call(
            "update_item", Key={"leaseKey": {"S": lease.key}},
            UpdateExpression="SET leaseCounter = leaseCounter + :one, throughputKBps = :tp",
            ConditionExpression="leaseOwner = :me AND leaseCounter = :c",
            ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": owner}, ":c": {"N": str(lease.counter)},
                                       ":tp": {"N": f"{throughput_kbps:.3f}"}},
        ) is not False
        if ok:
            lease.counter += 1
            lease.throughput_kbps = throughput_kbps
        return ok

    def assign(self, lease: Lease, new_owner: str, *, handoff_from: str | None = None) -> bool:
        """Give ``lease`` (as last read) to ``new_owner``; with ``handoff_from``, the old owner keeps the
        right to checkpoint (``checkpointOwner``) until it lets go: the 3.x graceful handoff."""
        values = {":one": {"N": "1"}, ":new": {"S": new_owner}, ":c": {"N": str(lease.counter)}}
        update = "SET leaseOwner = :new, leaseCounter = leaseCounter + :one"
        if new_owner != lease.owner:
            update += ", ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one"
        if handoff_from:
            update += ", checkpointOwner = :old"
            values[":old"] = {"S": handoff_from}
        else:
            update += " REMOVE checkpointOwner"
        ok = self._call("update_item", Key={"leaseKey": {"S": lease.key}}, UpdateExpression=update,
                        ConditionExpression="leaseCounter = :c", ExpressionAttributeValues=values) is not False
        if ok:
            lease.counter += 1
            if new_owner != lease.owner:
                lease.owner_switches += 1
            lease.owner, lease.checkpoint_owner = new_owner, handoff_from
        return ok

    def release(self, lease: Lease, owner: str) -> bool:
        """Let go of a lease (graceful shutdown): no owner, so the next assignment or taker takes it at once."""
        return self._call(
            "update_item", Key={"leaseKey": {"S": lease.key}},
            UpdateExpression="SET leaseCounter = leaseCounter + :one REMOVE leaseOwner",
            ConditionExpression="leaseOwner = :me",
            ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": owner}},
        ) is not False

    def finish_handoff(self, key: str, old_owner: str) -> bool:
        return self._call(
            "update_item", Key={"leaseKey": {"S": key}},
            UpdateExpression="SET leaseCounter = leaseCounter + :one REMOVE checkpointOwner",
            ConditionExpression="checkpointOwner = :me",
            ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": old_owner}},
        ) is not False

    def checkpoint(self, lease: Lease, owner: str, sequence: str, sub: int) -> bool:
        ok = self._call(
            "update_item", Key={"leaseKey": {"S": lease.key}},
            UpdateExpression=("SET checkpoint = :seq, checkpointSubSequenceNumber = :sub, "
                              "ownerSwitchesSinceCheckpoint = :zero, leaseCounter = leaseCounter + :one"),
            ConditionExpression="leaseCounter = :c AND (leaseOwner = :me OR checkpointOwner = :me)",
            ExpressionAttributeValues={":seq": {"S": sequence}, ":sub": {"N": str(sub)}, ":zero": {"N": "0"},
                                       ":one": {"N": "1"}, ":c": {"N": str(lease.counter)}, ":me": {"S": owner}},
        ) is not False
        if ok:
            lease.counter += 1
            lease.checkpoint, lease.sub, lease.owner_switches = sequence, sub, 0
        return ok

    def set_children(self, key: str, children: list[str]) -> None:
        self._call("update_item", Key={"leaseKey": {"S": key}}, UpdateExpression="ADD childShardIds :c",
                   ExpressionAttributeValues={":c": {"SS": sorted(children)}})

    def delete(self, key: str) -> bool:
        return self._call("delete_item", Key={"leaseKey": {"S": key}},
                          ConditionExpression="checkpoint = :end",
                          ExpressionAttributeValues={":end": {"S": "SHARD_END"}}) is not False

    # -- worker metrics and the leader lock (3.5 single-table format) -----------------------------
    def report_worker(self, worker_id: str, now: float, throughput_kbps: float) -> None:
        self._call("put_item", Item={
            "leaseKey": {"S": worker_id}, "entityType": {"S": WORKER_METRICS},
            "lastUpdateTime": {"N": f"{now:.3f}"}, "throughputKBps": {"N": f"{throughput_kbps:.3f}"},
        })

    def remove_worker(self, worker_id: str) -> None:
        self._call("delete_item", Key={"leaseKey": {"S": worker_id}})

    def worker_reports(self, items: list[dict[str, Any]]) -> dict[str, float]:
        """{worker id: last update time} from scanned items."""
        return {i["leaseKey"]["S"]: float(i["lastUpdateTime"]["N"])
                for i in items if i.get("entityType", {}).get("S") == WORKER_METRICS}

    def read_lock(self) -> dict[str, Any] | None:
        return self._call("get_item", Key={"leaseKey": {"S": "Leader"}}, ConsistentRead=True).get("Item")

    def write_lock(self, owner: str, version: str, expected_version: str | None, lease_millis: int) -> bool:
        item = {"leaseKey": {"S": "Leader"}, "entityType": {"S": LEADER}, "ownerName": {"S": owner},
                "recordVersionNumber": {"S": version}, "leaseDuration": {"N": str(lease_millis)}}
        if expected_version is None:
            return self._call("put_item", Item=item, ConditionExpression="attribute_not_exists(leaseKey)") is not False
        return self._call("put_item", Item=item, ConditionExpression="recordVersionNumber = :v",
                          ExpressionAttributeValues={":v": {"S": expected_version}}) is not False

    def release_lock(self, owner: str) -> bool:
        return self._call("delete_item", Key={"leaseKey": {"S": "Leader"}}, ConditionExpression="ownerName = :me",
                          ExpressionAttributeValues={":me": {"S": owner}}) is not False
