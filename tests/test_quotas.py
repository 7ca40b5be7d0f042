"""labsim.quotas: every published number carries its source, and changed values say when."""

from __future__ import annotations

import copy
import pickle

import pytest

from labsim import quotas


def test_every_fact_has_a_source_and_unit():
    facts = quotas.all_quotas()
    assert len(facts) > 40
    for name, fact in facts.items():
        assert fact.source.strip(), f"{name} has no source"
        assert fact.unit.strip(), f"{name} has no unit"


def test_changed_facts_say_both_then_and_when():
    for name, fact in quotas.all_quotas().items():
        assert (fact.then is None) == (fact.changed is None), f"{name}: give both 'then' and 'changed', or neither"


@pytest.mark.parametrize(
    "name, value",
    [
        ("SHARD_WRITE_BYTES_PER_SECOND", 1_048_576),
        ("SHARD_WRITE_RECORDS_PER_SECOND", 1000),
        ("SHARD_READ_BYTES_PER_SECOND", 2 * 1_048_576),
        ("SHARD_READ_CALLS_PER_SECOND", 5),
        ("GET_RECORDS_MAX_LIMIT", 10_000),
        ("SHARD_ITERATOR_LIFETIME_SECONDS", 300),
        ("PUT_RECORDS_MAX_RECORDS", 500),
        ("PUT_RECORDS_MAX_BYTES", 10 * 1_048_576),
        ("RETENTION_DEFAULT_HOURS", 24),
        ("RETENTION_MAX_HOURS", 8760),
        ("PARTITION_KEY_MAX_LENGTH", 256),
        ("MAX_CONSUMERS_PER_STREAM", 20),
    ],
)
def test_published_values_match_the_fact_sheet(name, value):
    assert getattr(quotas, name) == value


def test_then_and_now_for_the_exam_era_values():
    assert quotas.RETENTION_MAX_HOURS.then == 168
    assert quotas.PUT_RECORDS_MAX_BYTES.then == 5 * 1_048_576
    assert "then" in quotas.RETENTION_MAX_HOURS.describe()


def test_quotas_behave_as_plain_numbers():
    q = quotas.SHARD_WRITE_RECORDS_PER_SECOND
    assert q * 2 == 2000 and isinstance(q + 1, int)
    assert pickle.loads(pickle.dumps(q)) == 1000
    assert copy.deepcopy(q) == 1000


def test_every_fact_describes_itself():
    for name, fact in quotas.all_quotas().items():
        text = fact.describe()
        assert fact.source in text, name
        if fact.then is not None:
            assert "then:" in text and str(fact.changed) in text, name
