"""DynamoDB physics: provisioned capacity is enforced per second on the lab clock, with burst credit."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from labsim import quotas
from labsim.dynamodb import CapacityBucket, capacity

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _table(ddb, name="t", wcu=1, rcu=1, billing="PROVISIONED"):
    params = dict(TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                  AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode=billing)
    if billing == "PROVISIONED":
        params["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    ddb.create_table(**params)


def _writes(ddb, n, table="t"):
    results = []
    for i in range(n):
        try:
            ddb.put_item(TableName=table, Item={"k": {"S": str(i)}})
            results.append("ok")
        except ClientError as err:
            results.append(err.response["Error"]["Code"])
    return results


def test_provisioned_write_capacity_throttles_with_the_services_error(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, wcu=2)
    assert _writes(ddb, 3) == ["ok", "ok", "ProvisionedThroughputExceededException"]
    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName="t", Item={"k": {"S": "x"}})
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "level of configured provisioned throughput for the table was exceeded" in err["Error"]["Message"]
    lab.clock.advance(1)
    assert _writes(ddb, 3) == ["ok", "ok", "ProvisionedThroughputExceededException"]
    usage = capacity(lab, "t")
    assert usage.write_units == 4 and usage.writes_throttled == 3


def test_a_throttled_write_writes_nothing(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, wcu=1)
    assert _writes(ddb, 2) == ["ok", "ProvisionedThroughputExceededException"]
    assert ddb.scan(TableName="t")["Count"] == 1


def test_unused_capacity_is_kept_for_300_seconds_of_burst(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, wcu=1)
    lab.clock.advance(1000)  # far more than the burst window: the bucket holds at most 300 s
    results = _writes(ddb, 400)
    assert results.count("ok") == quotas.DYNAMODB_BURST_SECONDS
    assert results[quotas.DYNAMODB_BURST_SECONDS] == "ProvisionedThroughputExceededException"


def test_item_size_sets_the_units_a_write_costs(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, wcu=5)
    ddb.put_item(TableName="t", Item={"k": {"S": "big"}, "v": {"S": "x" * 3000}})  # 3 KB: 3 WCU
    assert capacity(lab, "t").write_units == 3
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        ddb.put_item(TableName="t", Item={"k": {"S": "big2"}, "v": {"S": "x" * 3000}})


def test_reads_are_charged_and_throttled_too(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, rcu=1, wcu=10)
    ddb.put_item(TableName="t", Item={"k": {"S": "a"}})
    codes = []
    for _ in range(4):
        try:
            ddb.scan(TableName="t", ConsistentRead=True)
            codes.append("ok")
        except ClientError as err:
            codes.append(err.response["Error"]["Code"])
    assert codes == ["ok", "ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException",
                     "ProvisionedThroughputExceededException"]
    assert capacity(lab, "t").reads_throttled == 3


def test_on_demand_is_not_throttled_and_update_table_switches_at_once(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, "od", billing="PAY_PER_REQUEST")
    assert set(_writes(ddb, 200, "od")) == {"ok"}
    assert capacity(lab, "od").write_units == 200
    _table(ddb, "prov", wcu=1)
    assert _writes(ddb, 3, "prov").count("ok") == 1
    ddb.update_table(TableName="prov", BillingMode="PAY_PER_REQUEST")
    assert set(_writes(ddb, 50, "prov")) == {"ok"}
    ddb.update_table(TableName="prov", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 100})
    lab.clock.advance(1)
    assert _writes(ddb, 100, "prov").count("ok") == 100


def test_sdk_retries_move_the_lab_clock_until_capacity_refills(lab):
    ddb = lab.client("dynamodb")  # botocore's default retries, with back-off through time.sleep
    _table(ddb, wcu=1)
    start = lab.clock.now()
    assert _writes(ddb, 3) == ["ok", "ok", "ok"]
    assert lab.clock.now() - start >= 1.0  # the application slowed down instead of failing


def test_bucket_refills_at_its_rate_and_caps_at_the_burst():
    bucket = CapacityBucket(rate=10, now=0)
    assert bucket.try_take(10, now=0) and not bucket.try_take(1, now=0)
    assert bucket.try_take(5, now=0.5)
    bucket.refill(now=10_000)
    assert bucket.level == 10 * quotas.DYNAMODB_BURST_SECONDS


def test_consumed_capacity_is_the_labs_charge_and_only_when_asked(lab):
    ddb = lab.client("dynamodb", config=NO_RETRIES)
    _table(ddb, wcu=100, rcu=100)
    big = {"k": {"S": "big"}, "blob": {"S": "x" * 2500}}  # about 2.5 KiB: 3 WCU, 1 RCU strongly consistent
    out = ddb.put_item(TableName="t", Item=big, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "t", "CapacityUnits": 3.0}
    assert "ConsumedCapacity" not in ddb.put_item(TableName="t", Item={"k": {"S": "small"}})  # not asked
    # moto would say 0.5 for any update, asked or not; the service says nothing unless asked
    assert "ConsumedCapacity" not in ddb.update_item(TableName="t", Key={"k": {"S": "small"}},
                                                     UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    out = ddb.update_item(TableName="t", Key={"k": {"S": "big"}}, UpdateExpression="SET v = :v",
                          ExpressionAttributeValues={":v": {"N": "1"}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "t", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}}
    strong = ddb.get_item(TableName="t", Key={"k": {"S": "big"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    weak = ddb.get_item(TableName="t", Key={"k": {"S": "big"}}, ReturnConsumedCapacity="TOTAL")
    assert (strong["ConsumedCapacity"]["CapacityUnits"], weak["ConsumedCapacity"]["CapacityUnits"]) == (1.0, 0.5)
    scan = ddb.scan(TableName="t", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert scan["ConsumedCapacity"]["CapacityUnits"] == 1.0
    out = ddb.delete_item(TableName="t", Key={"k": {"S": "big"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "t", "CapacityUnits": 3.0}
    usage = capacity(lab, "t")
    assert usage.write_units == 3 + 1 + 1 + 3 + 3 and usage.read_units == 1 + 0.5 + 1


def test_a_kcl_lease_table_reports_its_consumed_capacity(lab):
    from labsim.kcl import RecordProcessorBase, Worker

    class Quiet(RecordProcessorBase):
        def initialize(self, i): pass
        def process_records(self, i): i.checkpointer.checkpoint()
        def lease_lost(self, i): pass
        def shard_ended(self, i): i.checkpointer.checkpoint()
        def shutdown_requested(self, i): i.checkpointer.checkpoint()

    kinesis = lab.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=2)
    lab.clock.advance(30)
    worker = Worker("app", "s", Quiet, worker_id="w1").start()
    lab.clock.advance(20)
    ddb = lab.client("dynamodb")
    before = capacity(lab, "app").read_units
    scan = ddb.scan(TableName="app", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert scan["ConsumedCapacity"]["TableName"] == "app"
    assert scan["ConsumedCapacity"]["CapacityUnits"] == capacity(lab, "app").read_units - before == 1.0  # < 4 KiB
    counter = ddb.update_item(TableName="app", Key={"leaseKey": {"S": "shardId-000000000000"}},
                              UpdateExpression="SET leaseCounter = leaseCounter + :one",
                              ExpressionAttributeValues={":one": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert counter["ConsumedCapacity"]["CapacityUnits"] == 1.0  # a lease item is well under 1 KiB
    worker.crash()
