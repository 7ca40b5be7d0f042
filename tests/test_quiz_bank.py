"""The question bank: the shipped files are valid and teach, and malformed questions are refused
with a message that names the file, the question and the problem."""

from __future__ import annotations

import ast
import copy
import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from labsim.quiz import QuestionBankError, load_bank
from labsim.quiz.bank import PENDING_LESSON_TOPICS, QUESTIONS_DIR, default_paths
from labsim.quiz.topics import DOMAIN_WEIGHTS, DOMAINS, SOURCE_KEYS, TOPICS

REPO = Path(__file__).resolve().parents[1]
QUIZ_PKG = REPO / "labsim" / "quiz"


@pytest.fixture(scope="module")
def bank():
    return load_bank()


# --- the shipped bank ---------------------------------------------------------------------------

def test_shipped_bank_loads_and_has_the_promised_questions(bank):
    counts = Counter(q.topic for q in bank)
    assert counts["course-basics"] >= 8
    assert counts["kds-write"] >= 32
    assert {p.stem for p in default_paths()} <= set(TOPICS), "one file per known topic"
    for path in default_paths():
        assert {q.topic for q in bank if Path(q.file) == path} == {path.stem}


def test_every_question_counts_towards_an_exam_domain_and_each_domain_fills_two_mock_exams(bank):
    """A question's first domain is the one a mock exam counts it under; each domain must hold enough questions
    for two different 65-question mock exams drawn at the exam guide's weights."""
    assert sum(DOMAIN_WEIGHTS.values()) == pytest.approx(1) and set(DOMAIN_WEIGHTS) == set(DOMAINS)
    assert all(q.domain == q.domains[0] and q.domain in DOMAINS for q in bank)
    counts = Counter(q.domain for q in bank)
    short = {d: (counts[d], 2 * round(65 * w)) for d, w in DOMAIN_WEIGHTS.items() if counts[d] < 2 * round(65 * w)}
    assert not short, f"domains without enough questions for two mock exams (have, need): {short}"


SCENARIOS = 80


def test_the_bank_holds_at_least_350_questions_covering_every_topic(bank):
    """Issue 15: a practice set at the scale of the paid courses', every course topic in it."""
    assert len(bank) >= 350, len(bank)
    counts = Counter(q.topic for q in bank)
    assert set(counts) == set(TOPICS) and min(counts.values()) >= 8, counts


def test_the_bank_has_the_promised_exam_style_scenarios(bank):
    """Issue 15: at least 80 scenario questions in the exam's style, across the course and the exam's domains,
    both kinds (choose one, choose two)."""
    scenarios = [q for q in bank if q.scenario]
    assert len(scenarios) >= SCENARIOS, len(scenarios)
    assert {q.domain for q in scenarios} == set(DOMAINS)
    assert len({q.topic for q in scenarios}) >= 8, Counter(q.topic for q in scenarios)
    assert {q.type for q in scenarios} == {"single", "multiple"}
    assert all(not q.lesson_pending for q in scenarios), "a scenario links a section that exists"


def test_every_question_cites_a_source_and_explains_every_option(bank):
    for q in bank:
        assert q.source, f"{q.id} has no source"
        assert "?" in q.question, f"{q.id} should ask something"
        for letter, o in zip("abcdefgh", q.options):
            assert len(o.explanation) >= 40, f"{q.id} option {letter}: explanation too short to teach"


def test_course_basics_has_at_most_one_question_on_the_lab_itself(bank):
    lab = [q for q in bank if q.topic == "course-basics" and q.source.startswith("COURSE")]
    assert len(lab) <= 1


def test_correct_answers_are_not_always_in_the_same_place(bank):
    # A learner should not be able to score by always picking the same letter (the whole bank's balance
    # is tested statistically in test_quiz_bias.py).
    for topic in {q.topic for q in bank}:
        singles = [q for q in bank if q.topic == topic and q.type == "single"]
        if not singles:
            continue
        positions = Counter(next(iter(q.correct_letters)) for q in singles)
        assert max(positions.values()) <= max(2, len(singles) // 2), (topic, positions)
        if len(singles) >= 8:
            assert len(positions) >= 3, (topic, positions)


def test_each_topic_mixes_single_and_multiple_answer_questions(bank):
    for topic in {q.topic for q in bank}:
        types = Counter(q.type for q in bank if q.topic == topic)
        if sum(types.values()) < 5:  # a topic whose unit is still being written holds a few questions
            continue
        assert types["single"] and types["multiple"], (topic, types)


# Words too common to tell two questions apart.
STOPWORDS = frozenset("a an the of to and or is are be in on for with by it its that this which what as at from "
                      "than then not no can do does one each".split())
SAME_QUESTION = 0.6  # Jaccard similarity of word sets above which two questions ask the same thing


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in STOPWORDS}


def _similar(a, b) -> bool:
    """Two questions with nearly the same stem, or nearly the same right answer(s), are one question."""
    def jaccard(x, y):
        return len(x & y) / len(x | y) if x | y else 0.0
    right = lambda q: _words(" ".join(o.text for o in q.options if o.correct))  # noqa: E731
    return jaccard(_words(a.question), _words(b.question)) >= SAME_QUESTION or \
        (len(right(a)) >= 4 and jaccard(right(a), right(b)) >= SAME_QUESTION)


def test_no_two_questions_are_the_same_question(bank):
    """A bank that asks one fact twice (or pastes a question with a new id) over-weights it in every draw.
    The review that removed the semantic duplicates (kds-write-013/kpl-025, kds-write-027/resharding-
    retention-005, ...) is recorded in the commit; this test keeps copies from coming back."""
    pairs = [(a.id, b.id) for i, a in enumerate(bank) for b in bank[i + 1:] if _similar(a, b)]
    assert not pairs, f"questions that ask the same thing: {pairs}"
    # and it would catch a lightly edited copy
    q = bank[0]
    copy_ = dataclasses.replace(q, id=q.id[:-3] + "999", question=q.question.replace(" a ", " one ", 1) + " Why?")
    assert _similar(q, copy_)


def test_changed_facts_carry_then_and_now(bank):
    """The facts the course flags as changed are taught with today's value and the old one."""
    def find(pattern):
        return [q for q in bank if q.changed and re.search(pattern, q.changed.now)]

    retention = find(r"8,760 hours")
    assert retention and all(q.changed.date.startswith("2021-11") and "168" in q.changed.then for q in retention)
    put_records = find(r"10 MiB per (PutRecords )?request")
    assert put_records and all(q.changed.date.startswith("2025-10") and "5 MiB" in q.changed.then
                               for q in put_records)
    record_size = find(r"record")
    assert any("UpdateMaxRecordSize" in q.changed.now and q.changed.date.startswith("2025-10")
               for q in record_size)


def test_changed_dates_agree_with_labsim_quotas(bank):
    """The quiz and the simulator's published numbers must tell the same story."""
    quotas = pytest.importorskip("labsim.quotas")
    for name, pattern in [("RETENTION_MAX_HOURS", r"8,760 hours"), ("PUT_RECORDS_MAX_BYTES", r"per (PutRecords )?request")]:
        fact = getattr(quotas, name, None)
        if fact is None or getattr(fact, "changed", None) is None:
            pytest.skip(f"labsim.quotas has no dated {name}")
        for q in bank:
            if q.changed and re.search(pattern, q.changed.now):
                assert q.changed.date[:7] == str(fact.changed)[:7], (q.id, name)


def test_lesson_links_point_at_existing_sections(bank):
    """Every link names a section of a lesson that exists. Only questions of a unit whose lesson is still
    being written (kcl, firehose, agent) may say `lesson_pending: true`, and only until a lesson quizzes
    that topic: then the link must be checked like the others."""
    problems = []
    for q in bank:
        path, anchor = q.lesson.split("#", 1)
        nb = REPO / path
        if q.lesson_pending:
            assert q.topic in PENDING_LESSON_TOPICS, q.id  # the schema refuses it too
            owner = _lessons_quizzing(q.topic)
            if owner:
                problems.append(f"{q.id}: {', '.join(owner)} now teaches {q.topic!r}: link the section that "
                                f"teaches it and drop lesson_pending")
            elif nb.exists():
                problems.append(f"{q.id}: {path} exists: check the link and drop lesson_pending")
        elif not nb.exists():
            problems.append(f"{q.id}: {path} does not exist")
        elif anchor not in lesson_sections(nb):
            problems.append(f"{q.id}: no section {anchor!r} in {path}")
    assert not problems, "lesson links:\n" + "\n".join(problems)


def test_each_linked_section_teaches_the_question_s_key_terms(bank):
    """A link is real only if the section says what the question asks about: each of the question's
    `terms` (its key words, which must occur in the question itself) appears in the text of the linked
    section (its headings, prose and code, down to the next heading of the same level)."""
    problems = []
    for q in bank:
        if not q.terms:
            problems.append(f"{q.id}: no terms")
            continue
        own = _normal(" ".join([q.question] + [f"{o.text} {o.explanation}" for o in q.options]))
        for term in q.terms:
            if not _mentions(own, term):
                problems.append(f"{q.id}: term {term!r} does not occur in the question itself")
        if q.lesson_pending:
            continue
        path, anchor = q.lesson.split("#", 1)
        section = _normal(lesson_sections(REPO / path).get(anchor, ""))
        missing = [t for t in q.terms if not _mentions(section, t)]
        if missing:
            problems.append(f"{q.id}: {q.lesson} does not mention {', '.join(map(repr, missing))}")
    assert not problems, "questions and the sections they link:\n" + "\n".join(problems)


def _normal(text: str) -> str:
    """Compare words, not typography: case, Markdown code and emphasis marks, line breaks, and the joins
    inside a name (`sub-sequence` is `subsequence`, the KPL's `RecordTtl` is the lab's `record_ttl_ms`)."""
    text = re.sub(r"[`*_\\\u2011-]", "", text.lower())
    return " ".join(text.split())


def _mentions(text: str, term: str) -> bool:
    """Whether normalised text contains the term, starting at a word boundary; words of the term may be
    written apart or together ('hash key space' matches 'hash-key space')."""
    words = _normal(term).split()
    return re.search(r"(?<![a-z0-9])" + r"\s*".join(map(re.escape, words)), text) is not None


def _lessons_quizzing(topic: str) -> list[str]:
    """Lesson notebooks whose self-check draws the topic (by name, or by the ids of its questions)."""
    found = []
    for nb in sorted((REPO / "lessons").glob("*.ipynb")):
        text = nb.read_text(encoding="utf-8")
        if re.search(rf"""quiz\(\s*\\?["']{re.escape(topic)}\\?["']""", text) or re.search(rf"\b{re.escape(topic)}-\d{{3}}\b", text):
            found.append(nb.name)
    return found


def lesson_sections(notebook: Path) -> dict[str, str]:
    """Section anchor -> the section's text (markdown and code, headings included, down to the next heading
    of the same or a higher level). Anchors as JupyterLab makes them (the heading's rendered text, spaces
    become '-'), plus explicit <a id/name> anchors, which run to the next heading."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = []  # (heading level or 0, anchor or None, line)
    for cell in cells:
        text = "".join(cell["source"])
        for line in text.splitlines():
            m = re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line) if cell["cell_type"] == "markdown" else None
            if m:
                shown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(2))  # a link shows its text
                shown = re.sub(r"`|\*\*|__", "", shown)  # code and bold markers are not part of the text
                lines.append((len(m.group(1)), shown.strip().replace(" ", "-"), line))
            else:
                ids = re.findall(r"<a\s+(?:id|name)=[\"']([^\"']+)[\"']", line) if cell["cell_type"] == "markdown" else []
                lines.append((7 if ids else 0, ids[0] if ids else None, line))
    sections: dict[str, str] = {}
    for i, (level, anchor, _) in enumerate(lines):
        if anchor is None:
            continue
        body = []
        for other_level, _, line in lines[i + 1:]:
            # a notebook's title (level 1) and an <a> anchor own only the text up to the next heading
            if other_level and (other_level <= level or level in (1, 7)):
                break
            body.append(line)
        sections.setdefault(anchor, "\n".join([lines[i][2]] + body))
    return sections


def test_question_ids_named_in_lessons_and_solutions_exist(bank):
    """A self-check that names a dropped or renumbered question would fail in front of a learner."""
    ids = {q.id for q in bank}
    pattern = re.compile(rf"\b(?:{'|'.join(map(re.escape, TOPICS))})-\d{{3}}\b")
    named = {}
    for folder in ("lessons", "solutions", "exercises"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in (".ipynb", ".py", ".md") and path.is_file():
                for qid in pattern.findall(path.read_text(encoding="utf-8")):
                    named.setdefault(qid, path.relative_to(REPO).as_posix())
    assert named, "the lessons' self-checks name questions; none found"
    missing = {qid: where for qid, where in named.items() if qid not in ids}
    assert not missing, f"question ids named but not in the bank: {missing}"


def test_quiz_package_stays_in_the_teaching_layer():
    """labsim.quiz must not import the lab, the physics or moto (layer 3 depends on nothing below
    that it does not need), nor anything that could reach the network."""
    forbidden = re.compile(r"^(labsim\.(lab|streams|firehose|kpl|kcl|agent|transport|safety)|moto|boto3|botocore"
                           r"|requests|urllib|http|socket)\b")
    for path in QUIZ_PKG.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("labsim.quiz." if node.level == 1 else "labsim." if node.level == 2 else "") + (node.module or "")]
            else:
                continue
            for name in names:
                assert not forbidden.match(name), f"{path.name} imports {name}"


# --- malformed questions ------------------------------------------------------------------------

BASE = {
    "id": "kds-write-901",
    "topic": "kds-write",
    "domains": ["ingestion-transformation"],
    "type": "single",
    "question": "A producer is throttled. What should it do?",
    "options": [
        {"text": "Retry with back-off", "correct": True, "explanation": "Backing off gives the shard time."},
        {"text": "Retry at once in a loop", "correct": False, "explanation": "This makes throttling worse."},
        {"text": "Give up", "correct": False, "explanation": "The data would be lost."},
    ],
    "lesson": "lessons/02-producing-and-throttling.ipynb#Throttling",
}
MULTI = {**BASE, "type": "multiple", "question": "Which TWO help? (Choose 2)",
         "options": [{**o, "correct": i < 2} for i, o in enumerate(BASE["options"])]}


def write(tmp_path: Path, questions, name: str = "kds-write.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(questions, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, question) -> str:
    path = write(tmp_path, [question])
    with pytest.raises(QuestionBankError) as info:
        load_bank([path])
    message = str(info.value)
    assert str(path) in message  # every problem names its file
    return message


def edit(base, **changes):
    q = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DELETE:
            del q[key]
        else:
            q[key] = value
    return q


def option(base, index, **changes):
    q = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DELETE:
            del q["options"][index][key]
        else:
            q["options"][index][key] = value
    return q


DELETE = object()

MALFORMED = {
    "missing options": (edit(BASE, options=DELETE), "'options' is missing"),
    "missing lesson": (edit(BASE, lesson=DELETE), "'lesson' is missing"),
    "misspelt key": (edit(BASE, explaination="x"), "unknown key 'explaination'"),
    "unknown topic": (edit(BASE, topic="kds-writes"), "unknown topic 'kds-writes'"),
    "topic in the wrong file": (edit(BASE, topic="kds-read", id="kds-read-901"), "does not belong in kds-write.yaml"),
    "id format": (edit(BASE, id="kds-write-7"), "must look like '<topic>-NNN'"),
    "id of another topic": (edit(BASE, id="kds-read-901"), "must start with its topic, 'kds-write-'"),
    "unknown domain": (edit(BASE, domains=["ingestion"]), "unknown domain 'ingestion'"),
    "empty domains": (edit(BASE, domains=[]), "domains must be"),
    "repeated domain": (edit(BASE, domains=["security-governance", "security-governance"]), "domains repeat"),
    "unknown type": (edit(BASE, type="multi"), "type must be 'single' or 'multiple'"),
    "empty question": (edit(BASE, question="  "), "'question' must be a non-empty string"),
    "single with two answers": (option(BASE, 1, correct=True), "exactly 1 correct option, found 2"),
    "single with no answer": (option(BASE, 0, correct=False), "exactly 1 correct option, found 0"),
    "single says choose": (edit(BASE, question="Which? (Choose 2)"), "must not say '(Choose N)'"),
    "multiple with one answer": (option(MULTI, 1, correct=False), "at least 2 correct options, found 1"),
    "multiple without choose": (edit(MULTI, question="Which help?"), "must say '(Choose 2)'"),
    "multiple with the wrong count": (edit(MULTI, question="Which help? (Choose 3)"), "must say '(Choose 2)'"),
    "multiple with no wrong option": (option(MULTI, 2, correct=True), "at least one wrong option"),
    "option without explanation": (option(BASE, 1, explanation=DELETE), "option b: 'explanation' is missing"),
    "option with empty explanation": (option(BASE, 2, explanation=""), "option c: 'explanation' must be a non-empty"),
    "option with unknown key": (option(BASE, 0, why="x"), "option a: unknown key 'why'"),
    "correct is not a boolean": (option(BASE, 0, correct="yes"), "option a: 'correct' must be true or false"),
    "too few options": (edit(BASE, options=BASE["options"][:2]), "options must be a list of 3 to 8"),
    "repeated option": (option(BASE, 2, text="Retry with back-off"), "two options have the same text"),
    "lesson without anchor": (edit(BASE, lesson="lessons/02-producing-and-throttling.ipynb"), "must look like 'lessons/NN-name.ipynb#Section-anchor'"),
    "lesson outside lessons/": (edit(BASE, lesson="solutions/02/x.ipynb#Top"), "must look like 'lessons/"),
    "lesson not a notebook": (edit(BASE, lesson="lessons/02.md#Top"), "must look like 'lessons/"),
    "changed date": (edit(BASE, changed={"date": "Nov 2021", "then": "a", "now": "b"}), "changed: date must be"),
    "changed impossible date": (edit(BASE, changed={"date": "2021-13", "then": "a", "now": "b"}), "changed: date"),
    "changed without now": (edit(BASE, changed={"date": "2021-11", "then": "a"}), "changed: 'now' must be"),
    "changed unchanged": (edit(BASE, changed={"date": "2021-11", "then": "a", "now": "a"}), "are the same"),
    "difficulty out of range": (edit(BASE, difficulty=4), "difficulty must be 1, 2 or 3"),
    "difficulty as boolean": (edit(BASE, difficulty=True), "difficulty must be 1, 2 or 3"),
    "unknown source": (edit(BASE, source="Stack Overflow"), "source 'Stack Overflow' must start with a key"),
    "terms not a list": (edit(BASE, terms="MD5"), "terms must be a list of 1 to 6 non-empty strings"),
    "empty term": (edit(BASE, terms=["MD5", " "]), "terms must be a list of 1 to 6 non-empty strings"),
    "no terms": (edit(BASE, terms=[]), "terms must be a list of 1 to 6"),
    "repeated term": (edit(BASE, terms=["MD5", "md5"]), "terms repeat a value"),
    "pending link outside the units being written": (edit(BASE, lesson_pending=True),
                                                     "lesson_pending is only for topics whose lesson is being written"),
    "pending not true": (edit(BASE, lesson_pending="yes"), "lesson_pending must be true"),
    "scenario not true": (edit(BASE, scenario="yes"), "scenario must be true"),
    "scenario without a scene": (edit(BASE, scenario=True), "a scenario question sets the scene"),
    "scenario without the exam's ask": (edit(BASE, scenario=True, question="A producer is throttled. " * 12 + "Why?"),
                                        "a scenario question sets the scene"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_question_is_refused_with_a_useful_message(tmp_path, case):
    question, expected = MALFORMED[case]
    message = problems_for(tmp_path, question)
    assert expected in message
    assert f"question {question['id']}" in message  # and the question


def test_a_scenario_question_is_loaded_as_one(tmp_path):
    scene = ("A retailer writes 2,000 orders per second to a 4-shard stream; at peaks some are refused. " * 3 +
             "Which change meets these requirements with the LEAST operational overhead?")
    (q,) = load_bank([write(tmp_path, [edit(BASE, scenario=True, question=scene)])])
    assert q.scenario and q.domain == "ingestion-transformation"
    (plain,) = load_bank([write(tmp_path, [BASE])])
    assert not plain.scenario


def test_a_unit_being_written_may_link_a_pending_lesson(tmp_path):
    pending = edit(BASE, id="firehose-901", topic="firehose", lesson="lessons/firehose.ipynb#Buffering",
                   lesson_pending=True, terms=["back-off"])
    (q,) = load_bank([write(tmp_path, [pending], "firehose.yaml")])
    assert q.lesson_pending and q.terms == ("back-off",)
    (plain,) = load_bank([write(tmp_path, [BASE])])
    assert not plain.lesson_pending and plain.terms == ()


def test_all_problems_are_reported_at_once(tmp_path):
    bad = edit(BASE, topic="nope", difficulty=9, lesson="x")
    path = write(tmp_path, [bad, edit(BASE, id="kds-write-902", question="Fine?", type="both")])
    with pytest.raises(QuestionBankError) as info:
        load_bank([path])
    wheres = [(p.where, p.message.split()[0]) for p in info.value.problems]
    assert len(info.value.problems) == 4, wheres
    assert {p.where for p in info.value.problems} == {"question kds-write-901", "question kds-write-902"}


def test_question_without_id_is_located_by_position(tmp_path):
    message = problems_for(tmp_path, edit(BASE, id=DELETE))
    assert "question #1 (no id): 'id' is missing" in message


def test_duplicate_ids_across_files_name_both_files(tmp_path):
    a = write(tmp_path, [BASE], "kds-write.yaml")
    b = write(tmp_path, [edit(BASE, question="Another question?")], "extra.yaml")
    with pytest.raises(QuestionBankError, match="duplicate id") as info:
        load_bank([a, b])
    assert str(a) in str(info.value) and str(b) in str(info.value)


def test_duplicate_question_text_is_refused(tmp_path):
    path = write(tmp_path, [BASE, edit(BASE, id="kds-write-902", question="A  producer is throttled.  What should it do?")])
    with pytest.raises(QuestionBankError, match="kds-write-902: same question text as kds-write-901"):
        load_bank([path])


def test_repeated_yaml_key_is_refused_not_silently_overwritten(tmp_path):
    text = yaml.safe_dump([BASE], sort_keys=False).replace("correct: true", "correct: true\n    correct: false", 1)
    path = tmp_path / "kds-write.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionBankError, match=r"line \d+: is not valid YAML: duplicate key 'correct'"):
        load_bank([path])


@pytest.mark.parametrize("text, expected", [
    ("- id: [unclosed\n", "is not valid YAML"),
    ("id: kds-write-001\n", "must be a non-empty YAML list of questions"),
    ("", "must be a non-empty YAML list of questions"),
    ("- just a string\n", "question #1 (no id): must be a mapping"),
])
def test_file_level_problems(tmp_path, text, expected):
    path = tmp_path / "kds-write.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionBankError, match=re.escape(expected)) as info:
        load_bank([path])
    assert str(path) in str(info.value)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(QuestionBankError, match="cannot be read"):
        load_bank([tmp_path / "kds-write.yaml"])


def test_lenient_forms_are_accepted(tmp_path):
    """A single domain as a string, an unquoted YAML date, a directory of files."""
    text = yaml.safe_dump([edit(BASE, domains="security-governance")], sort_keys=False)
    text += "  changed:\n    date: 2021-11-30\n    then: 7 days\n    now: 365 days\n"
    (tmp_path / "kds-write.yaml").write_text(text, encoding="utf-8")
    (q,) = load_bank([tmp_path])
    assert q.domains == ("security-governance",)
    assert q.changed.date == "2021-11-30"
    assert q.correct_letters == {"a"} and q.letters == ("a", "b", "c")


def test_vocabularies_match_the_design():
    assert list(DOMAINS) == ["ingestion-transformation", "data-store-management", "operations-support",
                             "security-governance"]
    assert {"course-basics", "kds-write", "kds-read", "efo", "resharding-retention", "kpl", "kcl", "firehose",
            "firehose-transform", "agent-sources", "security"} == set(TOPICS)
    facts = REPO.parent / "shared" / "reference" / "kinesis-facts.md"
    if facts.exists():  # every source key the validator accepts is defined in the fact sheet
        text = facts.read_text(encoding="utf-8")
        assert all(k in text for k in SOURCE_KEYS - {"COURSE"})
    assert QUESTIONS_DIR.is_dir()
