"""What is wrong with a draft answer, read cheaply before the support check: its citation
marks, a copied foreign-language passage, the numbers and codes of the evidence it left out."""

from __future__ import annotations

import re

from rag.schema import Citation
from rag.text import detect_language, identifiers, words

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # [1] or [1, 2]


def plain(text: str) -> str:
    """Generated text without its [n] citation marks."""
    return " ".join(MARKER.sub(" ", text).split())


COPY_WORDS = 6  # this many words in a row from a passage in another language: copied, not said
_QUOTED = re.compile(r"[\"“‘']([^\"”’]{8,})(?:[\"”’]|$)")


def copies_foreign(text: str, passages: list[Citation], lang: str) -> bool:
    """`text` repeats a run of words from a passage that is not in `lang` ("The passage says
    'Penguasaan teknologi adalah kunci...'" is not an English answer)."""
    for quoted in _QUOTED.findall(text):  # a quotation in the other language
        if len(words(quoted)) >= 3 and detect_language(quoted) != lang:
            return True
    said = words(text)
    runs = {tuple(said[i : i + COPY_WORDS]) for i in range(len(said) - COPY_WORDS + 1)}
    for p in passages:
        if detect_language(p.quote) == lang:
            continue
        quoted = words(p.quote)
        if any(tuple(quoted[i : i + COPY_WORDS]) in runs for i in range(len(quoted))):
            return True
    return False


_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\(\d[^)]*\)")


def missing_facts(text: str, evidence: str) -> list[str]:
    """Numbers and codes ('14nm', '128') of `evidence` that `text` does not mention (dates
    are left out: a sentence's dateline is rarely what was asked)."""
    said = set(words(text))
    evidence = _DATE.sub(" ", evidence)
    facts = identifiers(evidence) | {w for w in words(evidence) if w.isdigit() and len(w) > 1}
    return sorted(f for f in facts if f not in said)
