"""Reading the value a sentence gives, so two reports of one story can be compared."""

from __future__ import annotations

import pytest

from qa.answering.asked import analyse
from qa.answering.values import primary_value, value_kind, values_in


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people died in the crash?", "number"),
        ("What was the turnout in the election?", "number"),
        ("When will the bridge reopen?", "date"),
        ("By when should the job cuts be completed?", "date"),
        ("Who is leading the delegation?", "name"),
        ("Where does the takeover bid stand?", "outcome"),
        ("Why did the talks collapse?", None),
        ("Which countries sent observers?", None),
    ],
)
def test_value_kind(question: str, kind: str | None) -> None:
    assert value_kind(analyse(question)) == kind


def test_numbers_are_read_as_written_and_compared_by_value() -> None:
    q = analyse("How many people died in the crash?")
    assert [v.key for v in values_in("Nineteen people have died, up from 1,800 hectares and 61.3 percent", "number", q)] \
        == ["19", "1800", "61.3%"]
    # days of dates, years, times and changes ("two more") are not the figure
    assert [v.key for v in values_in("On March 13, 2024 at 2:14 a.m., two more died; 17 in all.", "number", q)] == ["17"]


def test_primary_value_is_the_one_next_to_the_asked_thing() -> None:
    q = analyse("How many missiles were launched at Korvask?")
    value = primary_value("The air force said 20 drones and 44 missiles were launched.", "number", q)
    assert value is not None and value.key == "44"


def test_dates_and_names() -> None:
    when = analyse("When will the repairs be completed?")
    assert [v.key for v in values_in("The work will not end until mid-2026, or spring 2027.", "date", when)] == [
        "mid 2026", "spring 2027"]
    who = analyse("Who is heading Sarvan's delegation?")
    names = values_in("The delegation will be led by Vice President Marta Kolar, Sarvan said.", "name", who)
    assert [v.text for v in names] == ["Marta Kolar"]
