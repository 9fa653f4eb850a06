"""Reading the time a question speaks of against the day it is asked."""

from __future__ import annotations

import datetime as dt

from qa.answering.periods import read_period

TODAY = dt.date(2026, 12, 4)  # a Friday


def test_as_of_in_the_question_sets_the_day_and_leaves_the_question() -> None:
    period = read_period("As of March 12, 2024, how many people had died?", TODAY)
    assert period.as_of == dt.date(2024, 3, 12)
    assert period.question == "How many people had died?"
    # without a year: the latest such day up to today
    assert read_period("What was the toll as of 5 June?", TODAY).as_of == dt.date(2026, 6, 5)
    # "as of July 2016" names no day: left to the question
    assert read_period("Which provinces were calm as of July 2016?", TODAY).as_of is None


def test_given_as_of_wins_and_relative_words_count_back_from_it() -> None:
    asked = dt.date(2024, 3, 13)  # a Wednesday
    period = read_period("What happened last week?", TODAY, as_of=asked)
    assert (period.as_of, period.since, period.until) == (asked, dt.date(2024, 3, 4), asked)
    assert read_period("Who spoke yesterday?", TODAY, as_of=asked).since == dt.date(2024, 3, 12)
    assert read_period("What changed this month?", TODAY).since == dt.date(2026, 12, 1)
    assert read_period("What was decided last year?", TODAY).since == dt.date(2025, 1, 1)


def test_a_month_without_a_year_is_the_latest_one() -> None:
    assert read_period("What did the council agree in March?", TODAY).since == dt.date(2026, 3, 1)
    assert read_period("What did it agree in December?", dt.date(2026, 11, 2)).since == dt.date(2025, 12, 1)
    assert read_period("What did it agree in March 2019?", TODAY).since is None  # the year says it
    assert read_period("Prices may rise.", TODAY).since is None
