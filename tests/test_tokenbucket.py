"""labsim.tokenbucket: one bucket for the KPL limiter and the shard's write and read budgets."""

from __future__ import annotations

import doctest

import pytest

import labsim.tokenbucket as tokenbucket
from labsim.tokenbucket import TokenBucket


def test_docstring_examples_run():
    result = doctest.testmod(tokenbucket, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_starts_full_refills_continuously_and_never_overflows():
    b = TokenBucket(capacity=10, rate=4, now=100.0)
    assert b.level(100.0) == 10
    assert b.try_take(10, 100.0) and b.level(100.0) == 0
    assert b.level(101.0) == 4
    assert b.level(200.0) == 10  # capped at capacity
    assert b.level(150.0) == 10  # an earlier time refills nothing and takes nothing back


def test_all_or_nothing_takes_nothing_when_refused():
    b = TokenBucket(capacity=5, rate=1, now=0.0)
    assert b.try_take(3, 0.0)
    assert not b.try_take(3, 0.0) and b.level(0.0) == 2
    assert b.time_until(3, 0.0) == pytest.approx(1.0) and b.time_until(1, 0.0) == 0.0
    assert not b.can_take(3, 0.5) and b.can_take(3, 1.0) and b.level(1.0) == 3


def test_debt_is_paid_back_before_the_bucket_is_positive_again():
    # The read budget's way: charge what a call returned, refuse the next while the level is below 0.
    b = TokenBucket(capacity=2.0, rate=2.0, now=0.0)
    assert b.take(5.0, 0.0) == -3.0
    assert b.level(1.0) == pytest.approx(-1.0)
    assert b.level(1.5) == pytest.approx(0.0)
    assert b.time_until(1.0, 1.5) == pytest.approx(0.5)


def test_a_request_bigger_than_the_bucket_goes_only_when_full():
    # The write budget's large records and the KPL limiter's oversized Kinesis records.
    b = TokenBucket(capacity=1.0, rate=1.0, now=0.0)
    assert b.try_take(0.5, 0.0)
    assert not b.try_take(3.0, 0.0) and b.time_until(3.0, 0.0) == pytest.approx(0.5)
    assert b.try_take(3.0, 0.5) and b.level(0.5) == pytest.approx(-2.0)


def test_slack_absorbs_float_rounding_only():
    b = TokenBucket(capacity=1000, rate=1000, now=0.0, slack=1e-3)
    b.take(1000, 0.0)
    assert b.try_take(1, 0.0009996)  # 0.9996 tokens: a rounding hair short of one
    assert not b.try_take(1, 0.0009996 + 0.0005)


@pytest.mark.parametrize("kwargs", [
    {"capacity": 0, "rate": 1}, {"capacity": 1, "rate": -1}, {"capacity": float("inf"), "rate": 1},
    {"capacity": 1, "rate": float("nan")}, {"capacity": True, "rate": 1}, {"capacity": 1, "rate": 1, "slack": 1},
])
def test_bad_arguments_are_refused_with_the_reason(kwargs):
    with pytest.raises(ValueError, match="capacity|rate|slack"):
        TokenBucket(now=0.0, **kwargs)
