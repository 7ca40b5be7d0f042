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
