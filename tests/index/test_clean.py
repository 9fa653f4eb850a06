"""clean_article_text: page junk goes, the article stays word for word."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SEED_000, SEED_001, SEED_002, SEED_003, SEED_004, SEED_NAMES, normalise_space, seed_text

from qa.index.clean import clean_article_text


@pytest.fixture(scope="module")
def cleaned() -> dict[str, str]:
    return {name: clean_article_text(seed_text(name)) for name in SEED_NAMES}


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


# --- junk is removed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "junk"),
    [
        (SEED_000, "All rights reserved by Rossiyskaya Gazeta."),
        (SEED_000, "We've got more than 1,8 million followers on Facebook. Join them!"),
        (SEED_000, "This website uses cookies. Click here to find out more."),
        (SEED_000, "Accept cookies"),
        (SEED_001, "All news"),
        (SEED_002, "All news"),
        (SEED_003, "10265 views"),
        (SEED_003, "Поделиться:"),
        (SEED_003, "Print:"),
        (SEED_004, "See also"),
    ],
)
def test_junk_line_removed(cleaned: dict[str, str], seed: str, junk: str) -> None:
    assert junk in seed_text(seed)  # the junk really is in the raw page
    assert junk not in paragraphs(cleaned[seed])
    assert junk not in cleaned[seed]


def test_photo_caption_and_credit_removed_from_001(cleaned: dict[str, str]) -> None:
    text = cleaned[SEED_001]
    assert "Metzel" not in text
    assert "©" not in text
    assert "U.S. Secretary of State John Kerry" not in paragraphs(text)  # the bare caption line
    # The article sentence that starts with the same words survives.
    assert "U.S. Secretary of State John Kerry will pay a working visit to Moscow on July 14-15" in text


def test_photo_caption_and_credit_removed_from_002(cleaned: dict[str, str]) -> None:
    text = cleaned[SEED_002]
    assert "Sladky" not in text
    assert "AP Photo" not in text
    assert "©" not in text
    assert "US Secretary of State Rex Tillerson" not in paragraphs(text)


def test_see_also_and_linked_headlines_removed_from_004(cleaned: dict[str, str]) -> None:
    text = cleaned[SEED_004]
    assert "See also" not in text
    for headline in (
        "Putin will take Kerry after talks with U.S. Secretary of state Lavrov in Moscow",
        "What are the similarities and differences in the views of Russia and the USA on the situation in Syria",
        ("The Russian foreign Ministry hopes that the visit Kerry will contribute to the normalization of "
        "relations with the U.S."),
    ):
        assert headline in seed_text(SEED_004)
        assert headline not in text
    # Only the one line after "See also" goes: the paragraph after the last linked headline stays.
    assert "Moscow expects serious and business-like conversation." in paragraphs(text)


def test_repeated_paragraph_kept_once_in_000(cleaned: dict[str, str]) -> None:
    second = (
        "Russian Foreign Minister Sergei Lavrov and the United States Secretary of State John Kerry, who will be in "
        "Russia on a working visit, will hold talks in Sochi on Tuesday, the Russian Foreign Ministry said on its "
        "website."
    )
    assert seed_text(SEED_000).count(second) == 2
    assert cleaned[SEED_000].count(second) == 1
    assert paragraphs(cleaned[SEED_000])[1] == second


@pytest.mark.parametrize(
    ("seed", "title"),
    [
        (SEED_003, "Kerry: Russia and US can cooperate despite differences"),
        (SEED_004, "Lavrov will hold talks with Kerry in Moscow"),
    ],
)
def test_repeated_title_kept_once(cleaned: dict[str, str], seed: str, title: str) -> None:
    assert seed_text(seed).count(title) == 2
    assert paragraphs(cleaned[seed]).count(title) == 1
    assert paragraphs(cleaned[seed])[0] == title


# --- the article is kept word for word ---------------------------------------------------------------------

KEPT_SENTENCES = {
    SEED_000: [
        "Lavrov, Kerry to hold talks in Sochi on May 12 - Russian Foreign Ministry",
        ("The Whitehouse's unilateral decision froze the joint presidential commission that consisted of 21 working "
        "groups."),
        ("Despite the sanctions, the bilateral trade in 2014 rose by 5.6% on the same period in 2013, having reached "
        "$29.2 billion."),
        "Another step forward was the 2011 agreement to simplify visa formalities",
    ],
    SEED_001: [
        ("MOSCOW, July 11. /TASS/. U.S. Secretary of State John Kerry will pay a working visit to Moscow on July "
        "14-15, the Russian foreign ministry said on Monday."),
        ("\"He will have talks with Russian Foreign Minister Sergei Lavrov to continue to discuss current issues of "
        "bilateral relations and the international agenda,\" the ministry said."),
        "One of the results is the reduction of bilateral trade by almost a third,",
        "the fourth one since May 2015",
    ],
    SEED_002: [
        ("MOSCOW, April 11. /TASS/. Russia hopes for constructive talks with US Secretary of State Rex Tillerson "
        "during his visit to Moscow, the Russian Foreign Ministry said in a commentary."),
        "On April 12, Tillerson will have talks with Russian Foreign Minister Sergey Lavrov.",
        ("\"The recent US missile strike on the Shayrat airbase of the Syrian government forces, which is an act of "
        "aggression against a sovereign state in violation of the international law, will most likely lead to the "
        "strengthening of terrorists,\" the ministry said."),
        "\"We aim not for confrontation but for constructive cooperation. We hope that the US side also wants this.\"",
    ],
    SEED_003: [
        ("Negotiations have been held in Moscow between Russian Foreign Minister Sergey Lavrov and US Secretary of "
        "State John Kerry."),
        "The talks in the Foreign Ministry mansion began with a delay of fifteen minutes.",
        "US State Department spokesperson John Kirby said.",
        "Andrey Baklanov concluded.",
    ],
    SEED_004: [
        ("MOSCOW, December 15. The Minister of foreign Affairs of Russia Sergey Lavrov will hold talks in Moscow with "
        "U.S. Secretary of state John Kerry."),
        ("The current Ministerial meeting, the 20th this year, and on the phone they talked 36 times, the last "
        "conversation took place the day before on December 14."),
        ("The IG recognized as a terrorist organization in the USA, Canada, UK, Australia, Turkey, Egypt, UAE, India, "
        "Indonesia, and Russia (29 December 2014)."),
        "it is consistent and not selective.",
    ],
}


@pytest.mark.parametrize(
    ("seed", "sentence"), [(seed, s) for seed, sentences in KEPT_SENTENCES.items() for s in sentences]
)
def test_article_sentence_kept_verbatim(cleaned: dict[str, str], seed: str, sentence: str) -> None:
    # The raw pages use no-break spaces between words; cleaning turns those into plain spaces and nothing else.
    assert sentence in normalise_space(seed_text(seed))
    assert sentence in cleaned[seed]


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_cleaning_only_removes_whole_lines(cleaned: dict[str, str], seed: str) -> None:
    raw_lines = {normalise_space(line) for line in seed_text(seed).splitlines()}
    for paragraph in paragraphs(cleaned[seed]):
        assert paragraph in raw_lines, paragraph
    assert "\n\n\n" not in cleaned[seed]
    assert cleaned[seed] == cleaned[seed].strip()


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_seed_cleaning_is_idempotent(cleaned: dict[str, str], seed: str) -> None:
    assert clean_article_text(cleaned[seed]) == cleaned[seed]


# --- small cases -------------------------------------------------------------------------------------------

BODY = "MOSCOW, July 11. The minister will travel to the capital on Friday for talks with his counterpart."


@pytest.mark.parametrize(
    "junk",
    [
        "We use cookies to improve your experience on our site.",
        "Accept all cookies",
        "Read our cookie policy",
        "Share:",
        "Share this article",
        "Share on Facebook",
        "Print this article",
        "Tweet",
        "E-mail",
        "Comments:",
        "1,234 views",
        "7 views",
        "Advertisement",
        "Read more:",
        "Related articles",
        "Follow us on Twitter for updates",
        "Subscribe to our daily newsletter",
        "All rights reserved.",
    ],
)
def test_generic_junk_lines(junk: str) -> None:
    raw = f"Headline of the story\n\n{junk}\n\n{BODY}\n\n{junk}"
    assert clean_article_text(raw) == f"Headline of the story\n\n{BODY}"


def test_whitespace_and_control_characters_normalised() -> None:
    raw = "Headline\r\n\r\nMOSCOW,\u00a0July 11.\tThe  minister\x07 will travel.\r\n\n\n\nSecond   paragraph here.\r"
    assert clean_article_text(raw) == "Headline\n\nMOSCOW, July 11. The minister will travel.\n\nSecond paragraph here."


def test_caption_with_credit_removed() -> None:
    raw = (
        "Headline of the story\n\n"
        "The minister at a press conference Jane Doe/Reuters\n"
        "The minister at a press conference\n"
        "© Jane Doe/Reuters\n\n"
        f"{BODY}"
    )
    assert clean_article_text(raw) == f"Headline of the story\n\n{BODY}"


@pytest.mark.parametrize("credit", ["Photo: Jane Doe/Reuters", "(c) Jane Doe/Reuters", "Image: Reuters"])
def test_other_credit_forms_removed(credit: str) -> None:
    raw = f"Headline of the story\n\n{BODY}\n\nThe minister arriving in Moscow\n{credit}\n\nSecond paragraph here."
    assert clean_article_text(raw) == f"Headline of the story\n\n{BODY}\n\nSecond paragraph here."


def test_see_also_keeps_a_long_paragraph_after_it() -> None:
    long_paragraph = " ".join(["The talks went on for many hours and covered every topic on the agenda."] * 4)
    raw = f"Headline\n\n{BODY}\n\nSee also:\n\n{long_paragraph}"
    assert clean_article_text(raw) == f"Headline\n\n{BODY}\n\n{long_paragraph}"


def test_repeats_differing_only_in_case_and_punctuation_dropped() -> None:
    raw = f"Headline\n\n{BODY}\n\n{BODY.upper()}\n\n{BODY.replace('.', '!')}"
    assert clean_article_text(raw) == f"Headline\n\n{BODY}"


def test_empty_and_junk_only_text_clean_to_empty() -> None:
    assert clean_article_text("") == ""
    assert clean_article_text("All news\n\nAccept cookies\n\n10 views\n\nPrint:") == ""


# --- properties --------------------------------------------------------------------------------------------

_PAGE_LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            "All news", "Accept cookies", "10265 views", "Поделиться:", "Print:", "See also", "See also:",
            "© Mikhail Metzel/TASS", "Photo: AP", "(c) Reuters", "U.S. Secretary of State John Kerry",
            "A caption without an ending", "A real sentence of the article.", "a real sentence of the article",
            "", "   ", "\u00a0", "MOSCOW, July 11. /TASS/. Kerry will visit Moscow on Friday.",
        ]
    ),
)
_PAGES = st.builds(
    lambda lines, sep: sep.join(lines), st.lists(_PAGE_LINES, max_size=15), st.sampled_from(["\n", "\n\n", "\r\n", "\r"])
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), _PAGES))
def test_clean_never_raises_and_is_idempotent(raw: str) -> None:
    once = clean_article_text(raw)
    assert isinstance(once, str)
    assert clean_article_text(once) == once


def _squeeze(line: str) -> str:
    """A line without any whitespace or control characters, to compare lines whatever spacing cleaning chose."""
    return "".join(ch for ch in line if not ch.isspace() and unicodedata.category(ch) != "Cc")


@settings(max_examples=200, deadline=None)
@given(_PAGES)
def test_clean_output_paragraphs_come_from_input_lines(raw: str) -> None:
    """Cleaning only drops lines: every paragraph it returns is one of the input's lines, respaced."""
    once = clean_article_text(raw)
    if not once:
        return
    normalised = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    lines = {_squeeze(line) for line in normalised.split("\n")}
    for paragraph in once.split("\n\n"):
        assert paragraph.strip()
        assert _squeeze(paragraph) in lines


def test_standfirst_before_caption_only_photo_is_kept() -> None:
    standfirst = "Officials said the talks would be hard, the ministry said"
    raw = f"Big headline here\n\n{standfirst}\nThe minister at the podium\n© Jane Doe/Agency\n\n{BODY}"
    assert clean_article_text(raw) == f"Big headline here\n\n{standfirst}\n\n{BODY}"
