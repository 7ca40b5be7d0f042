"""The quiz bank cannot be passed without reading: neither option length nor answer position gives the
answer away.

**Length.** A candidate who never reads the question can still pick by length: the longest option (the k
longest for a choose-k question), or the shortest. If option length carried no information, such a
strategy would do exactly as well as blind guessing. Blind guessing answers question q correctly with
probability p_q = 1 / C(n_q, k_q) (n_q options, k_q of them correct, all-or-nothing marking), so its score
on a topic is a sum of independent Bernoulli(p_q): a Poisson-binomial distribution, computed here exactly.

The margin: a strategy fails the test on a topic when a blind guesser would reach its score with
probability below ALPHA = 5 % (one-sided, P(guesser >= score) < 0.05). In words: picking by length must
not beat 95 % of blind guessers. The other side is checked too: a strategy that is almost never right
(P(guesser <= score) < 0.05) leaks just as much, since "never the longest" lets a candidate strike an
option out. In numbers: on a 15-question topic (chance 3 right) the length strategy fails at 7 right or
more (chance + 4, +27 percentage points); on the whole bank (119 questions, chance 24.9) at 33 or more
(+7 percentage points) and at 17 or fewer. We test every topic and the whole bank, for both strategies,
with no correction for the number of tests: the bank is fixed text, a false alarm costs an author one
rewritten option, and a correction (Bonferroni over some 20 checks, 0.25 % each) would let a 15-question
topic score 8 right (53 %) without failing: a real bias would go through. Ties in length are broken at
random, and the strategy is credited with its expected score. A looser, per-question check keeps options
"of comparable length" in the plain sense.

**Position.** Options are shown in file order. If right answers cluster on some letters, "always c" (or
"a and b") beats chance. Under a fair bank, option j of question q is right with probability k_q / n_q;
summing over questions gives the expected count of right answers per position, and a chi-square goodness
of fit compares it with what the bank has. Positions with an expected count below 5 are pooled with the
one before (the usual validity rule for chi-square). The test fails at the 5 % level (critical values
below, from the chi-square table). Answers of one multiple-answer question are not independent (they are
drawn without replacement), which makes the statistic slightly conservative. The test runs on the whole bank,
on single- and multiple-answer questions apart, and on the exam-style scenarios apart.

**Patterns.** Balanced letters do not stop a choose-2 strategy: if the right pairs were all "a,b" or "c,d", each
letter would be right half the time, yet "always a,b" would win. For every answer pattern (a letter, or a set of
k letters), answering it on every question must not beat 95 % of blind guessers (the same Poisson-binomial
tail as for length). Length is checked on each topic, on the scenarios as a group, and on the whole bank.

**Wording.** Two test-taking habits: strike the options with absolute words ("never", "always", "only"), and
prefer the option that repeats the question's words. Applied blindly to the whole bank and to the scenarios,
neither may beat 95 % of blind guessers.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict

import pytest

from labsim.quiz import load_bank
from labsim.quiz.bank import LETTERS, Question

ALPHA = 0.05
# Chi-square critical values at the 5 % level, by degrees of freedom (any statistics table).
CHI2_CRITICAL_5PCT = {1: 3.841, 2: 5.991, 3: 7.815, 4: 9.488, 5: 11.070, 6: 12.592, 7: 14.067}
# "Comparable length", per question: the right option(s) are neither much longer nor much shorter than
# the wrong ones (mean length of right options over mean length of wrong options, within a third either
# way). SLACK characters are added to every length so that one-word options ("20" against "4") compare
# by what a reader sees, not by a ratio of tiny numbers.
LENGTH_RATIO_RANGE = (0.75, 1.33)
SLACK = 10


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def chance(q: Question) -> float:
    return 1 / math.comb(len(q.options), q.n_correct)


def length_strategy(q: Question, longest: bool) -> float:
    """Probability that picking the k longest (or shortest) options, ties broken at random, is right."""
    k = q.n_correct
    sign = -1 if longest else 1
    keyed = sorted(((sign * len(o.text), o.correct) for o in q.options))
    cut = keyed[k - 1][0]  # the k-th pick's key; options with this key are tied at the boundary
    sure = [c for key, c in keyed if key < cut]
    tied = [c for key, c in keyed if key == cut]
    need = k - len(sure)
    if not all(sure) or sum(tied) != need:  # a sure pick is wrong, or a right option cannot be picked
        return 0.0
    return 1 / math.comb(len(tied), need)


def guess_distribution(ps: list[float]) -> list[float]:
    """P(a blind guesser gets exactly k right), k = 0..len(ps): the Poisson-binomial, by convolution."""
    dist = [1.0]
    for p in ps:
        dist = [(dist[i] if i < len(dist) else 0) * (1 - p) + (dist[i - 1] * p if i else 0)
                for i in range(len(dist) + 1)]
    return dist


def tail_probability(ps: list[float], at_least: float) -> float:
    """P(sum of independent Bernoulli(p) >= at_least)."""
    return sum(guess_distribution(ps)[math.ceil(at_least - 1e-9):])


def lower_tail_probability(ps: list[float], at_most: float) -> float:
    """P(sum of independent Bernoulli(p) <= at_most)."""
    return sum(guess_distribution(ps)[:math.floor(at_most + 1e-9) + 1])


def groups_of(questions: list[Question]) -> dict[str, list[Question]]:
    """Each topic, the exam-style scenarios (a mock exam leans on them) and 'ALL'."""
    groups = defaultdict(list)
    for q in questions:
        groups[q.topic].append(q)
        if q.scenario:
            groups["SCENARIO"].append(q)
        groups["ALL"].append(q)
    return groups


def length_report(questions: list[Question]) -> dict[str, tuple[int, float, float, float]]:
    """Per group (topics, 'SCENARIO', 'ALL'): (questions, chance score, longest-first score, shortest-first score)."""
    return {t: (len(qs), sum(map(chance, qs)), sum(length_strategy(q, True) for q in qs),
                sum(length_strategy(q, False) for q in qs)) for t, qs in groups_of(questions).items()}


def length_failures(questions: list[Question]) -> list[str]:
    failures = []
    groups = groups_of(questions)
    for topic, (n, expected, longest, shortest) in length_report(questions).items():
        ps = [chance(q) for q in groups[topic]]
        for name, score in (("longest", longest), ("shortest", shortest)):
            said = (f"{topic}: picking the {name} option(s) scores {score:.1f}/{n} ({score / n:.0%}); blind "
                    f"guessing expects {expected:.1f} ({expected / n:.0%}), ")
            high, low = tail_probability(ps, score), lower_tail_probability(ps, score)
            if high < ALPHA:
                failures.append(said + f"P(guess >= {score:.1f}) = {high:.4f} < {ALPHA}")
            if low < ALPHA:
                failures.append(said + f"P(guess <= {score:.1f}) = {low:.4f} < {ALPHA}: the {name} option "
                                       f"is almost never right, so it can be struck out")
    return failures


def test_a_length_only_strategy_does_no_better_than_guessing_on_any_topic(bank):
    failures = length_failures(bank)
    assert not failures, "option length gives answers away:\n" + "\n".join(failures)


def length_ratio_problems(questions: list[Question]) -> list[str]:
    low, high = LENGTH_RATIO_RANGE
    bad = []
    for q in questions:
        right = statistics.mean(len(o.text) + SLACK for o in q.options if o.correct)
        wrong = statistics.mean(len(o.text) + SLACK for o in q.options if not o.correct)
        if not low <= right / wrong <= high:
            bad.append(f"{q.id}: right options average {right - SLACK:.0f} characters, wrong ones {wrong - SLACK:.0f}")
    return bad


def test_options_are_of_comparable_length(bank):
    bad = length_ratio_problems(bank)
    assert not bad, "\n".join(bad)


def position_statistic(questions: list[Question]) -> tuple[float, int, list[tuple[str, int, float]]]:
    observed, expected = Counter(), Counter()
    for q in questions:
        for letter, o in zip(LETTERS, q.options):
            observed[letter] += o.correct
            expected[letter] += q.n_correct / len(q.options)
    bins: list[list] = []
    for letter in LETTERS:
        if not expected[letter]:
            break
        if bins and expected[letter] < 5:
            bins[-1][0] += letter
            bins[-1][1] += observed[letter]
            bins[-1][2] += expected[letter]
        else:
            bins.append([letter, observed[letter], expected[letter]])
    while len(bins) > 1 and bins[-1][2] < 5:  # pool a small tail into the bin before it
        name, o, e = bins.pop()
        bins[-1][0] += name
        bins[-1][1] += o
        bins[-1][2] += e
    chi2 = sum((o - e) ** 2 / e for _, o, e in bins)
    return chi2, len(bins) - 1, [tuple(b) for b in bins]


KINDS = {"all questions": lambda q: True, "single-answer questions": lambda q: q.type == "single",
         "multiple-answer questions": lambda q: q.type == "multiple", "scenario questions": lambda q: q.scenario}


@pytest.mark.parametrize("kind", KINDS)
def test_answer_positions_are_balanced_across_the_bank(bank, kind):
    questions = [q for q in bank if KINDS[kind](q)]
    chi2, df, bins = position_statistic(questions)
    table = ", ".join(f"{name}: {o} right (expected {e:.1f})" for name, o, e in bins)
    assert chi2 < CHI2_CRITICAL_5PCT[df], f"answer positions are unbalanced (chi2 = {chi2:.1f}, df = {df}): {table}"


def pattern_failures(questions: list[Question]) -> list[str]:
    """'Always answer S' (one letter, or one set of k letters for a choose-k question) scores on every question
    whose right options are exactly S. A blind guesser scores 1 / C(n, k) on each question where S is a possible
    answer. No such fixed strategy may beat 95 % of blind guessers."""
    failures = []
    for pattern, score in Counter(q.correct_letters for q in questions).items():
        ps = [chance(q) if q.n_correct == len(pattern) and pattern <= set(q.letters) else 0.0 for q in questions]
        p = tail_probability(ps, score)
        if p < ALPHA:
            failures.append(f"always answering {','.join(sorted(pattern))} scores {score}; blind guessing expects "
                            f"{sum(ps):.1f}, P(guess >= {score}) = {p:.4f} < {ALPHA}")
    return failures


@pytest.mark.parametrize("kind", ["all questions", "scenario questions"])
def test_no_fixed_answer_pattern_beats_guessing(bank, kind):
    """Balanced positions are not enough for choose-2 questions: a bank whose pairs are all 'a,b' or 'c,d' has
    balanced letters, yet "always a,b" wins. Each answer pattern must be as rare as chance makes it."""
    failures = pattern_failures([q for q in bank if KINDS[kind](q)])
    assert not failures, "\n".join(failures)


# Wording a test-wise candidate strikes out ("never", "always", "only") or leans on (the option that repeats the
# question's words). Either habit, applied blindly, must do no better than guessing.
ABSOLUTES = re.compile(r"\b(always|never|only|all|every|any|cannot|none|nothing|instantly|forever|whatever)\b", re.I)
STEM_STOPWORDS = frozenset("a an the of to and or is are be in on for with by it its that this which what as at from "
                           "than then not no can do does one each".split())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9_]+", text.lower())) - STEM_STOPWORDS


def key_strategy(q: Question, key) -> float:
    """Probability that picking the k options with the highest key(option), ties at random, is right."""
    k = q.n_correct
    keyed = sorted((-key(o), o.correct) for o in q.options)
    cut = keyed[k - 1][0]
    sure = [c for value, c in keyed if value < cut]
    tied = [c for value, c in keyed if value == cut]
    need = k - len(sure)
    if not all(sure) or sum(tied) < need:
        return 0.0
    return math.comb(sum(tied), need) / math.comb(len(tied), need)


WORDING = {
    "no absolute words": lambda q: (lambda o: -len(ABSOLUTES.findall(o.text))),
    "most words of the question": lambda q: (lambda o: len(_words(o.text) & _words(q.question))),
}


def wording_failures(questions: list[Question]) -> list[str]:
    failures = []
    for group, qs in groups_of(questions).items():
        if group not in ("ALL", "SCENARIO"):
            continue  # a topic's 10-40 questions are too few for a second family of tests without false alarms
        ps = [chance(q) for q in qs]
        for name, key in WORDING.items():
            score = sum(key_strategy(q, key(q)) for q in qs)
            if tail_probability(ps, score) < ALPHA:
                failures.append(f"{group}: picking the option(s) with {name} scores {score:.1f}/{len(qs)}; blind "
                                f"guessing expects {sum(ps):.1f}")
    return failures


def test_wording_gives_no_answer_away(bank):
    failures = wording_failures(bank)
    assert not failures, "\n".join(failures)


# --- the tests themselves can fail: a biased bank is caught ----------------------------------------

def test_a_bank_whose_distractors_say_never_would_be_caught(bank):
    from dataclasses import replace
    biased = [replace(q, options=tuple(o if o.correct else replace(o, text="Never " + o.text) for o in q.options))
              for q in bank]
    assert any("no absolute words" in f for f in wording_failures(biased))
    assert key_strategy(biased[0], WORDING["no absolute words"](biased[0])) == 1

def test_a_bank_with_a_favourite_answer_pair_would_be_caught(bank):
    from dataclasses import replace
    def first_two_right(q):  # the right options moved to the front: letters still vary, pairs do not
        return replace(q, options=tuple(sorted(q.options, key=lambda o: not o.correct)))
    biased = [first_two_right(q) if q.type == "multiple" else q for q in bank]
    assert any("always answering a,b " in f for f in pattern_failures(biased))


def test_scenario_questions_are_checked_as_a_group(bank):
    """A bank whose scenarios always make the right option the longest is caught even if the rest is fair."""
    assert "SCENARIO" in length_report(bank)
    biased = [q if not q.scenario else _biased([q], longest=True)[0] for q in bank]
    assert any(f.startswith("SCENARIO: picking the longest") for f in length_failures(biased))

def _biased(bank: list[Question], longest: bool) -> list[Question]:
    """The same bank with every right option made the longest (or the shortest) one."""
    from dataclasses import replace
    out = []
    for q in bank:
        pad = max(len(o.text) for o in q.options) + 10
        options = tuple(replace(o, text=o.text.ljust(pad, "x") if o.correct == longest else o.text[:5])
                        for o in q.options)
        out.append(replace(q, options=options))
    return out


@pytest.mark.parametrize("longest", [True, False])
def test_a_length_biased_bank_would_be_caught(bank, longest):
    assert len(length_ratio_problems(_biased(bank, longest))) == len(bank)
    failures = length_failures(_biased(bank, longest))
    topics = {q.topic for q in bank if len([p for p in bank if p.topic == q.topic]) >= 8}
    assert {f.split(":")[0] for f in failures} >= topics | {"ALL"}


def test_a_bank_whose_right_option_is_never_the_longest_would_be_caught(bank):
    failures = length_failures(_biased(bank, longest=False))  # right options padded short: never longest
    assert any("ALL: picking the longest" in f and "struck out" in f for f in failures), failures


def test_a_bank_with_answers_always_first_would_be_caught(bank):
    from dataclasses import replace
    first = [replace(q, options=tuple(sorted(q.options, key=lambda o: not o.correct))) for q in bank]
    chi2, df, _ = position_statistic(first)
    assert chi2 >= CHI2_CRITICAL_5PCT[df]


def test_strategy_and_chance_arithmetic():
    from labsim.quiz.bank import Option
    def q(lengths, right):
        opts = tuple(Option("x" * n, i in right, "e") for i, n in enumerate(lengths))
        return Question("kds-write-999", "kds-write", ("ingestion-transformation",),
                        "single" if len(right) == 1 else "multiple", "?", opts, "lessons/x.ipynb#y")
    assert chance(q([1, 2, 3, 4], {0})) == 1 / 4
    assert chance(q([1, 2, 3, 4, 5], {0, 1})) == 1 / 10
    assert length_strategy(q([10, 20, 30, 40], {3}), longest=True) == 1
    assert length_strategy(q([10, 20, 30, 40], {3}), longest=False) == 0
    assert length_strategy(q([40, 40, 30, 10], {0}), longest=True) == 0.5  # a tie: half the time
    assert length_strategy(q([40, 40, 30, 10, 5], {0, 2}), longest=True) == 0
    assert length_strategy(q([40, 40, 40, 10, 5], {0, 2}), longest=True) == pytest.approx(1 / 3)
    assert tail_probability([0.5, 0.5], 1) == pytest.approx(0.75)
    assert tail_probability([0.25] * 4, 0) == pytest.approx(1)
    assert tail_probability([0.2] * 15, 7) == pytest.approx(0.0181, abs=1e-4)  # binomial table value
    assert lower_tail_probability([0.2] * 15, 0) == pytest.approx(0.8 ** 15)
    assert lower_tail_probability([0.5, 0.5], 1.5) == pytest.approx(0.75)
