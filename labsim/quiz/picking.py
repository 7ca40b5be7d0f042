"""Choosing questions: by topic or id, and drawing a random (optionally weighted) sample."""

from __future__ import annotations

import random
from typing import Iterable, Mapping

from .bank import Question
from .topics import TOPICS


def select(bank: list[Question], topics: str | Iterable[str] | None = None,
           ids: Iterable[str] | None = None) -> list[Question]:
    """The questions of some topics and/or with some ids; ValueError names unknown ones.

    Topic selection keeps bank order; ids keep the order they were asked in.
    """
    chosen = list(bank)
    if topics is not None:
        wanted = [topics] if isinstance(topics, str) else list(topics)
        unknown = [t for t in wanted if t not in TOPICS]
        if unknown:
            raise ValueError(f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(TOPICS)}")
        chosen = [q for q in chosen if q.topic in wanted]
        if not chosen:
            raise ValueError(f"no questions yet for topic(s) {', '.join(wanted)}")
    if ids is not None:
        wanted_ids = [ids] if isinstance(ids, str) else list(ids)
        by_id = {q.id: q for q in chosen}
        missing = [i for i in wanted_ids if i not in by_id]
        if missing:
            raise ValueError(f"no question with id(s) {', '.join(missing)} (among the topics chosen)")
        chosen = [by_id[i] for i in dict.fromkeys(wanted_ids)]
    return chosen


def draw(pool: list[Question], n: int | None = None, *, seed: int | None = None,
         weights: Mapping[str, float] | None = None) -> list[Question]:
    """Up to ``n`` distinct questions from ``pool`` in random order (all of them if n is None).

    ``weights`` (per topic, > 0) makes questions of heavier topics more likely: a weighted
    sample without replacement (Efraimidis-Spirakis: keep the n largest u ** (1 / w)).
    The same pool, n, seed and weights always give the same questions in the same order.
    """
    if n is not None and n < 1:
        raise ValueError(f"the number of questions must be at least 1, got {n}")
    rng = random.Random(seed)
    n = len(pool) if n is None else min(n, len(pool))
    if not weights:
        return rng.sample(pool, n)
    keyed = sorted(pool, key=lambda q: rng.random() ** (1.0 / max(weights.get(q.topic, 1.0), 1e-9)),
                   reverse=True)
    picked = keyed[:n]
    rng.shuffle(picked)  # heavy topics should not all come first
    return picked
