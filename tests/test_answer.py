"""answer(): cited answers from the seed index, abstentions, bad questions, follow-ups, empty indexes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import SEED_001, SEED_002, SEED_NAMES

from qa.answer import MAX_QUESTION_CHARS, answer, answer_stream, last_exchange
from qa.config import Settings
from qa.errors import BadQuestionError, EmptyIndexError, QAError
from qa.index.store import Store
from qa.types import Answer

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"
AIRBASE = "Which Syrian airbase did the US strike with missiles before Tillerson's visit?"
POMPEO = "What did Mike Pompeo say about Venezuela?"

ANSWERABLE = [KERRY_JULY, AIRBASE, "How many working groups did the joint presidential commission have?"]
UNANSWERABLE = [
    POMPEO,
    "What did Angela Merkel say about the Brexit negotiations?",
    "How many goals did Lionel Messi score for Barcelona?",
]


@pytest.fixture(scope="module")
def kerry(seed_settings: Settings) -> Answer:
    return answer(KERRY_JULY, settings=seed_settings)


@pytest.fixture(scope="module")
def airbase(seed_settings: Settings) -> Answer:
    return answer(AIRBASE, settings=seed_settings)


def article_text(store: Store, article_id: str) -> str:
    record = store.article_by_id(article_id, with_text=True)
    assert record is not None
    return str(record["text"])


def assert_well_cited(result: Answer, store: Store) -> None:
    """Every [n] in the text resolves to a citation n, and every citation quotes its article exactly."""
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", result.text)]
    numbers = [c.n for c in result.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert markers and set(markers) == set(numbers)
    for citation in result.citations:
        text = article_text(store, citation.article_id)
        assert text[citation.start : citation.end] == citation.quote
        assert citation.quote in result.text
        assert citation.source in SEED_NAMES


def test_kerry_july_dates(kerry: Answer, seed_store: Store) -> None:
    assert not kerry.abstained
    assert "July 14-15" in kerry.text
    assert kerry.citations[0].source == SEED_001
    assert kerry.citations[0].title.startswith("Russia\u2019s Foreign Ministry confirms")
    assert (kerry.citations[0].outlet, kerry.citations[0].date) == ("TASS", "July 11")
    assert_well_cited(kerry, seed_store)


def test_airbase_is_shayrat(airbase: Answer, seed_store: Store) -> None:
    assert not airbase.abstained
    assert "Shayrat" in airbase.text
    assert airbase.citations[0].source == SEED_002
    assert "Shayrat" in airbase.citations[0].quote
    assert_well_cited(airbase, seed_store)


def test_answer_carries_passages_and_timings(kerry: Answer) -> None:
    assert kerry.question == KERRY_JULY
    assert len(kerry.passages) == 5
    assert kerry.passages[0].source == SEED_001
    assert kerry.answerer == "extractive"
    assert kerry.standalone_question is None
    for stage in ("setup_ms", "embed_ms", "retrieve_ms", "answer_ms", "total_ms"):
        assert kerry.timings[stage] >= 0
    assert kerry.timings["total_ms"] >= kerry.timings["answer_ms"]


def test_answer_json_round_trips(kerry: Answer, airbase: Answer) -> None:
    for result in (kerry, airbase):
        assert Answer.model_validate_json(result.model_dump_json()) == result


def test_answers_are_deterministic(kerry: Answer, seed_settings: Settings) -> None:
    again = answer(KERRY_JULY, settings=seed_settings)
    assert again.text == kerry.text
    assert again.citations == kerry.citations


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_question_abstains(seed_settings: Settings, question: str) -> None:
    result = answer(question, settings=seed_settings)
    assert result.abstained
    assert result.citations == []
    assert result.text.startswith("The articles don't say")
    assert not re.search(r"\[\d+\]", result.text)
    assert result.passages  # retrieval still ran; the answerer declined


# A detail the articles never give about an event they do cover, beside the question the same rule must still
# answer: (rule, abstains, answers, a fact the answer holds).
NEAR_MISSES = [
    ("a year the sentence contradicts", "What was the dollar value of Russia-US trade in 2015?",
     "What was the total value of bilateral Russia-US trade in 2014?", r"29\.2 billion"),
    ("a day the sentence contradicts", "What was decided at the December 18-19 New York meeting of the Syria support group?",
     "On what dates was Kerry's working visit to Moscow in July?", r"July 14-15|14-15 July"),
    ("the date of something else", "When was the Russian Embassy in Damascus attacked?",
     "On what date did Russia designate the Islamic State a terrorist organization?", r"2014|2006"),
    ("'years ago' is no length", "How long did Putin's meeting with Kerry during the December 2015 Moscow visit last?",
     "How many days was Tillerson's visit to Moscow scheduled to last?", r"two-day"),
    ("a number that counts another thing", "How many Russian children adopted by American families were reported to have been mistreated?",
     "How many factors did Andrey Baklanov point to as creating a chance to stabilize Russia-US relations?", r"two factors"),
    ("a name that holds no such office", "Who was Russia's ambassador in Washington at the time of these talks?",
     "Who was the State Department spokesman quoted as saying Kerry went to Moscow without preconditions?", r"John Kirby"),
]


@pytest.mark.parametrize(("rule", "refused", "answered", "fact"), NEAR_MISSES, ids=[m[0] for m in NEAR_MISSES])
def test_a_detail_the_articles_never_give_is_refused_and_its_neighbour_answered(
    seed_settings: Settings, rule: str, refused: str, answered: str, fact: str
) -> None:
    no = answer(refused, settings=seed_settings)
    assert no.abstained, f"{rule}: {no.text}"
    yes = answer(answered, settings=seed_settings)
    assert not yes.abstained and re.search(fact, yes.text), f"{rule}: {yes.text}"


def test_a_list_question_is_answered_by_the_sentence_that_lists(seed_settings: Settings) -> None:
    result = answer(
        "Which countries does the December article list as having designated the Islamic State a terrorist "
        "organization?",
        settings=seed_settings,
    )
    assert all(country in result.text for country in ("Canada", "Australia", "Turkey")), result.text


def test_a_month_the_question_names_points_at_the_article_dated_in_it(seed_settings: Settings) -> None:
    result = answer("What kind of conversation did Moscow say it expected from Kerry during his December visit?",
                    settings=seed_settings)
    assert "serious and business-like" in result.text, result.text
    assert result.citations[0].source.startswith("004_"), result.citations


def test_how_long_between_two_events_quotes_both_dates(seed_settings: Settings) -> None:
    result = answer(
        "Roughly how many years passed between the founding of the Islamic State and Russia declaring it a "
        "terrorist organisation?",
        settings=seed_settings,
    )
    assert not result.abstained
    assert "2006" in result.text and "2014" in result.text, result.text


@pytest.mark.parametrize("question", ANSWERABLE)
def test_answerable_question_does_not_abstain(seed_settings: Settings, seed_store: Store, question: str) -> None:
    result = answer(question, settings=seed_settings)
    assert not result.abstained
    assert not result.text.startswith("The articles don't say")
    assert_well_cited(result, seed_store)


def test_pompeo_abstention_names_what_is_missing(seed_settings: Settings) -> None:
    result = answer(POMPEO, settings=seed_settings)
    assert "Pompeo" in result.text and "Venezuela" in result.text


@pytest.mark.parametrize(
    "question",
    ["", "   ", "\n\t ", "\x00\x01", "x" * 100_000, "a" * (MAX_QUESTION_CHARS + 1)],
    ids=["empty", "spaces", "whitespace", "control-chars", "100kB", "just-over-limit"],
)
def test_bad_questions_raise(seed_settings: Settings, question: str) -> None:
    with pytest.raises(BadQuestionError):
        answer(question, settings=seed_settings)


def test_question_of_the_maximum_length_is_accepted(seed_settings: Settings) -> None:
    question = ("Kerry Lavrov Moscow talks " * 200)[:MAX_QUESTION_CHARS]
    assert len(question) == MAX_QUESTION_CHARS
    answer(question, settings=seed_settings)  # no BadQuestionError


def test_question_must_be_text(seed_settings: Settings) -> None:
    with pytest.raises(BadQuestionError):
        answer(None, settings=seed_settings)  # type: ignore[arg-type]


def test_bad_question_is_a_value_error_and_qa_error(seed_settings: Settings) -> None:
    with pytest.raises(ValueError):
        answer("", settings=seed_settings)
    with pytest.raises(QAError):
        answer("", settings=seed_settings)


@pytest.mark.parametrize("top_k", [0, -1])
def test_top_k_below_one_raises(seed_settings: Settings, top_k: int) -> None:
    with pytest.raises(BadQuestionError, match="top_k"):
        answer(KERRY_JULY, top_k=top_k, settings=seed_settings)


def test_top_k_limits_passages(seed_settings: Settings) -> None:
    assert len(answer(KERRY_JULY, top_k=2, settings=seed_settings).passages) == 2


def test_question_whitespace_is_normalised(seed_settings: Settings, kerry: Answer) -> None:
    result = answer(f"  {KERRY_JULY.replace(' ', '   ')}\n", settings=seed_settings)
    assert result.question == KERRY_JULY
    assert result.text == kerry.text


def test_unknown_answerer_is_refused(seed_settings: Settings) -> None:
    with pytest.raises(QAError, match="unknown answerer"):
        answer(KERRY_JULY, llm="gpt-9", settings=seed_settings)


FOLLOW_UP_HISTORY = [
    {"role": "user", "content": "Who was the US Secretary of State visiting Moscow in April?"},
    {"role": "assistant", "content": "Rex Tillerson."},
]


def test_follow_up_uses_history(seed_settings: Settings, seed_store: Store) -> None:
    result = answer("On what date was he to hold talks with Lavrov?", history=FOLLOW_UP_HISTORY,
                    settings=seed_settings)
    assert result.standalone_question is not None
    assert "Who was the US Secretary of State visiting Moscow in April?" in result.standalone_question
    assert not result.abstained
    assert "April 12" in result.text
    assert result.citations[0].source == SEED_002
    assert_well_cited(result, seed_store)


def test_follow_up_retrieval_uses_the_previous_question(seed_settings: Settings) -> None:
    result = answer("On what date was he to hold talks with Lavrov?", history=FOLLOW_UP_HISTORY,
                    settings=seed_settings)
    assert result.standalone_question == (
        "Who was the US Secretary of State visiting Moscow in April?\nRex Tillerson.\n"
        "On what date was he to hold talks with Lavrov?"
    )
    assert result.passages[0].source == SEED_002


def test_a_new_topic_after_a_conversation_is_answered_from_its_own_articles(seed_settings: Settings) -> None:
    """Without a model, a question that stands alone is not mixed with the previous exchange: asked after a
    conversation about Kerry's July visit, the Shayrat question still gets the Shayrat article."""
    history = [
        {"role": "user", "content": KERRY_JULY},
        {"role": "assistant", "content": "John Kerry will pay a working visit to Moscow on July 14-15 [1]."},
    ]
    alone = answer("Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
                   settings=seed_settings)
    after = answer("Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
                   history=history, settings=seed_settings)
    assert after.standalone_question is None
    assert "Shayrat" in after.text and after.citations[0].source == SEED_002
    assert after.text == alone.text


def test_last_exchange_reads_both_history_shapes() -> None:
    assert last_exchange(None) == ""
    assert last_exchange([]) == ""
    assert last_exchange(FOLLOW_UP_HISTORY) == (
        "Who was the US Secretary of State visiting Moscow in April?\nRex Tillerson."
    )
    pairs = [("first question", "first answer"), ["  second question ", "second answer [1]"]]
    assert last_exchange(pairs) == "second question\nsecond answer"
    assert last_exchange([{"role": "assistant", "content": "only an answer"}]) == "only an answer"


def test_empty_index_without_auto_seed_raises(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "empty-home", auto_seed=False)
    with pytest.raises(EmptyIndexError, match="qa ingest"):
        answer(KERRY_JULY, settings=settings)


def test_empty_index_with_auto_seed_indexes_the_seeds(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "auto-home", auto_seed=True)
    result = answer(KERRY_JULY, settings=settings)
    assert not result.abstained
    assert "July 14-15" in result.text
    assert result.citations[0].source == SEED_001
    from qa.index.store import store_for

    store = store_for(settings)
    assert sorted(meta["source"] for _, meta in store.iter_articles()) == SEED_NAMES


def test_auto_seed_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("QA_AUTO_SEED", "false")
    with pytest.raises(EmptyIndexError):
        answer(KERRY_JULY)


# Each abstention rule, on real questions about the seeds: one the articles can't answer, beside a close one they can.
ABSTENTION_PAIRS = [
    pytest.param(  # a count the articles never give, beside one they do
        "How many cruise missiles did the US fire at the Shayrat airbase?",
        "How many working groups made up the joint presidential commission that Washington froze?",
        r"\b21\b",
        id="count",
    ),
    pytest.param(  # two people the articles never put together, beside two they do
        "Did Tillerson meet President Putin during his April visit to Moscow?",
        "Did Kerry meet President Putin on his visits to Russia?",
        r"Putin",
        id="yes-no",
    ),
    pytest.param(  # a subject the articles never touch, beside a paraphrase of one they do
        "What did Lavrov eat for breakfast in Sochi?",
        "What did Lavrov and Kerry plan to do in Sochi?",
        r"talks in Sochi",
        id="unrelated-word",
    ),
    pytest.param(  # a name the corpus never uses, beside one it does
        "What did Rex Tillerson say about Venezuela?",
        "When will the next round of international consultations on Afghanistan be held in Moscow?",
        r"April 14",
        id="unknown-name",
    ),
]


@pytest.mark.parametrize(("unanswerable", "answerable", "fact"), ABSTENTION_PAIRS)
def test_abstention_rules_on_both_sides(
    seed_settings: Settings, seed_store: Store, unanswerable: str, answerable: str, fact: str
) -> None:
    refused = answer(unanswerable, settings=seed_settings)
    assert refused.abstained and refused.citations == [], refused.text
    answered = answer(answerable, settings=seed_settings)
    assert not answered.abstained, answered.text
    assert re.search(fact, answered.text), answered.text
    assert_well_cited(answered, seed_store)


def test_answer_stream_ends_with_the_answer_its_deltas_spell(seed_settings: Settings, kerry: Answer) -> None:
    items = list(answer_stream(kerry.question, settings=seed_settings))
    *deltas, final = items
    assert isinstance(final, Answer)
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == final.text == kerry.text


@pytest.mark.parametrize("as_of", ["2016-07-20", "2016-07-20T10:00:00"])
def test_as_of_accepts_iso_dates(seed_settings: Settings, kerry: Answer, as_of: str) -> None:
    assert answer(kerry.question, as_of=as_of, settings=seed_settings).citations


def test_as_of_that_is_not_a_date_raises(seed_settings: Settings) -> None:
    with pytest.raises(BadQuestionError, match="as_of"):
        answer("When did Kerry visit Moscow?", as_of="last week", settings=seed_settings)
