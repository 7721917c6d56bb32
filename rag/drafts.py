"""What is wrong with a draft answer, read cheaply before the support check: its citation
marks, a copied foreign-language passage, the numbers and codes of the evidence it left out."""

from __future__ import annotations

import re

from rag.schema import Citation
from rag.text import STOPWORDS_EN, STOPWORDS_ID, detect_language, identifiers, words

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # [1] or [1, 2]
# "According to passage [1], ..." / "The passage states that ..." say nothing a citation mark
# does not: cut from the sentence
_LEAD = re.compile(
    r"\b(?:(?:according to|as (?:stated|mentioned|shown) in|based on) (?:the )?passages?|"
    r"(?:the )?passages?(?:\s*\[\d+(?:\s*,\s*\d+)*\])? (?:states?|says?|mentions?|notes?)"
    r"(?: that)?|menurut (?:bagian|kutipan|teks))(?:\s*\[\d+(?:\s*,\s*\d+)*\])?\s*[,:]?\s*",
    re.IGNORECASE,
)
# Words of a sentence that only points at the passages ("This is stated in passage [1].")
_POINTERS = frozenset(
    """passage passages article articles text stated states state mentioned mentions mention
    said says information given provided found shown written reported bagian kutipan artikel
    teks informasi disebutkan dinyatakan tertulis hal""".split()
)
_SENTENCE_END = re.compile(r"\s*,\s*([.!?])$")


def parse_sentence(raw: str) -> tuple[str, list[int]]:
    """A generated sentence as it is shown (marks and lead-ins cut, capitalized) and the
    passage numbers it cites."""
    cited = [int(n) for m in MARKER.findall(raw) for n in m.split(",")]
    sentence = " ".join(MARKER.sub(" ", _LEAD.sub("", raw)).split()).replace(" .", ".")
    sentence = _SENTENCE_END.sub(r"\1", sentence.replace(" ,", ","))
    return sentence[:1].upper() + sentence[1:], cited


def points_only(sentence: str) -> bool:
    """The sentence says nothing but where it is written ("This is stated in the passage.")."""
    said = [w for w in words(sentence) if w not in STOPWORDS_EN and w not in STOPWORDS_ID]
    return all(w in _POINTERS or w.isdigit() for w in said)


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


# a dateline ("Jumat (24/3/2023)"): rarely what was asked
DATELINE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\(\d[^)]*\)")


def missing_facts(text: str, evidence: str) -> list[str]:
    """Numbers and codes ('14nm', '128') of `evidence` that `text` does not mention (dates
    are left out: a sentence's dateline is rarely what was asked)."""
    said = set(words(text))
    evidence = DATELINE.sub(" ", evidence)
    facts = identifiers(evidence) | {w for w in words(evidence) if w.isdigit() and len(w) > 1}
    return sorted(f for f in facts if f not in said)
