"""Strip scraped-page junk from article text and keep the article itself word for word.

Junk is what a page wraps around a story: cookie banners, share and print widgets, view counters,
follower plugs, photo captions and credits, "See also" links, and paragraphs repeated by the scraper.
"""

from __future__ import annotations

import re
import unicodedata

# Whole lines that are page furniture, never article text.
_JUNK_LINE = re.compile(
    r"""^(?:
        all\ news
      | (?:this\ (?:web)?site|we)\ uses?\ cookies\b.*
      | accept(?:\ all)?\ cookies
      | .*\bcookie\ (?:policy|settings)\b.{0,40}
      | we'?ve\ got\ more\ than\ .{0,40}\ followers\b.*
      | (?:join|follow)\ us\ on\ (?:facebook|twitter|telegram|instagram|x)\b.*
      | [\d][\d,.\s]*\ views?
      | (?:поделиться|share|share\ this(?:\ article|\ story)?|print|print\ this(?:\ article)?|tweet|e-?mail|comments?)\s*:?
      | share\ on\ (?:facebook|twitter|whatsapp|telegram|vk|linkedin).*
      | all\ rights\ reserved\b.*
      | advertisement
      | (?:read\ (?:more|also)|related(?:\ (?:articles|news|stories))?)\s*:?
      | subscribe\ to\ (?:our|the)\ .{0,60}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEE_ALSO = re.compile(r"^(?:see\ also|read\ also|also\ read|more\ on\ this\ topic)\s*:?$", re.IGNORECASE | re.VERBOSE)
_CREDIT = re.compile(r"^(?:©|\(c\)\s|photo\s*:|photo\ credit\s*:|image\s*:)\s*(?P<credit>.+)$", re.IGNORECASE | re.VERBOSE)
_SENTENCE_END = re.compile(r"[.!?…\"”»]$")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def clean_article_text(raw: str) -> str:
    """The article's own paragraphs, one per line pair, in order, without junk or repeats."""
    lines = [_normalise_line(line) for line in _normalise_text(raw).split("\n")]
    lines = [line for line in lines if line]
    kept: list[str] = []
    skip_next_headline = False
    for i, line in enumerate(lines):
        if skip_next_headline:
            skip_next_headline = False
            if _is_headline(line):
                continue
        if _SEE_ALSO.match(line):
            skip_next_headline = True
            continue
        if _JUNK_LINE.match(line):
            continue
        if (credit := _CREDIT.match(line)) is not None:
            _drop_caption_lines(kept, credit.group("credit"))
            continue
        kept.append(line)
    return "\n\n".join(_drop_repeated_paragraphs(kept))


def _normalise_text(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _normalise_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _is_headline(line: str) -> bool:
    return len(line.split()) <= 30 and "\n" not in line


def _drop_caption_lines(kept: list[str], credit: str) -> None:
    """A credit line ("© Photographer/Agency") follows its caption, and scrapers often add caption + credit too."""
    credit = credit.strip()
    caption: str | None = None
    while kept:
        last = kept[-1]
        if last.endswith(credit) and len(last) < 300:  # "Caption Photographer/Agency"
            kept.pop()
        elif caption is None and len(last) < 200 and not _SENTENCE_END.search(last) and len(kept) > 1:
            caption = kept.pop()  # the bare caption, directly above its credit
        elif caption is not None and caption in last and len(last) < 300:
            kept.pop()
        else:
            return


def _drop_repeated_paragraphs(paragraphs: list[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for paragraph in paragraphs:
        key = re.sub(r"\W+", " ", paragraph.casefold()).strip()
        if key in seen:
            continue
        seen.add(key)
        unique.append(paragraph)
    return unique
