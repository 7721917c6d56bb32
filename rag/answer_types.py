"""Expected answer types: a question asking for a time, duration, price or count can only be
answered by a sentence that contains such an expression (English and Indonesian); one asking
for a number of things ("which three fields") is best answered by a sentence listing as many."""

from __future__ import annotations

import re
from typing import Literal

from rag.text import keyword_tokens

AnswerType = Literal["time", "duration", "money", "count"]

_NUM = r"(?:\d[\d.,]*|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|se\w+|" \
    r"belas|puluh\w*|ratus\w*|ribu\w*|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|" \
    r"hundreds?|thousands?|a few|several|beberapa)"  # fmt: skip

# Checked in order: the first question pattern that matches decides the type.
_QUESTION: list[tuple[AnswerType, re.Pattern[str]]] = [
    ("duration", re.compile(r"\b(how long|berapa lama|selama berapa)\b", re.I)),
    (
        "money",
        re.compile(
            r"\b(how much (does|do|did|is|are|was|were) .{0,40}\b(cost|worth|pay|paid|price)"
            r"|how much money|what (is|was) the (price|cost|value)|berapa (harga|biaya|nilai|tarif"
            r"|ongkos|gaji|anggaran|rupiah|dolar)|harga(nya)? berapa)",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(when|what time|what date|which (day|date|year|month)|what (day|year|month)"
            r"|kapan|jam berapa|pukul berapa|tanggal berapa|tahun berapa|bulan apa|hari apa)\b",
            re.I,
        ),
    ),
    ("count", re.compile(r"\b(how many|berapa (banyak|jumlah|orang|kali|buah|unit))\b", re.I)),
]

_MONTHS = (
    r"januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    r"january|february|march|may|june|july|august|october|december|jan|feb|mar|apr|jun|jul|"
    r"agu|agt|aug|sep|okt|oct|nov|des|dec"
)
_DAYS = r"senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|wednesday|" \
    r"thursday|friday|saturday|sunday"  # fmt: skip

_EVIDENCE: dict[AnswerType, re.Pattern[str]] = {
    "time": re.compile(
        rf"\b({_MONTHS}|{_DAYS})\b|\b(1[89]|20)\d\d\b|\d{{1,2}}/\d{{1,2}}(/\d{{2,4}})?|"
        r"\b\d{1,2}[:.]\d{2}\b|\b(pukul|jam \d|kemarin|besok|lusa|tadi|pagi|siang|sore|malam|"
        r"yesterday|tomorrow|tonight|morning|evening|abad|dekade)\b",
        re.I,
    ),
    "duration": re.compile(
        rf"\b{_NUM}\s*(-an\s*)?(detik|menit|jam|hari|pekan|minggu|bulan|tahun|abad|dekade|"
        r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b|\bsetahun|"
        r"\bsebulan|\bsehari|\bseminggu|\bsepekan",
        re.I,
    ),
    "money": re.compile(
        r"\b(rp|idr|usd|us\$|rupiah|dolar|dollars?|euro|yuan|yen|ringgit|pound)\b|\$\s?\d|"
        r"\bRp\.?\s?\d",
        re.I,
    ),
    "count": re.compile(rf"\b{_NUM}\b", re.I),
}


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer the question asks for, or None when it could be anything."""
    for kind, pattern in _QUESTION:
        if pattern.search(question):
            return kind
    return None


# A question for a calendar date (not "when ... happen?", which "after the meeting" answers):
# only a sentence naming a day, month, year or date can answer it.
_DATE_QUESTION = re.compile(
    r"\b(what date|which date|what year|which year|what day|which day"
    r"|(tanggal|tahun) (berapa|apa)(kah)?|hari apa(kah)?)\b",
    re.I,
)


def asks_date(question: str) -> bool:
    """True when `question` asks for a calendar date, day or year."""
    return bool(_DATE_QUESTION.search(question))


def has_type(kind: AnswerType | None, sentence: str) -> bool:
    """True when `sentence` contains an expression of `kind` (always True for None)."""
    return kind is None or bool(_EVIDENCE[kind].search(sentence))


# Where a list starts ("industries such as A, B and C") and what ends one ("and the like").
_CUE = re.compile(
    r"\b(?:such as|including|like|namely|seperti|termasuk|yaitu|yakni|antara lain|misalnya|"
    r"di antaranya)\b|:",
    re.IGNORECASE,
)
_COMMA = re.compile(r",(?!\d)")
_AND = re.compile(r"\s+(?:and|or|dan|atau|serta|maupun)\s+", re.IGNORECASE)
_VAGUE = frozenset(
    """other others similar etc so forth lainnya lain sejenisnya dll dsb sebagainya more
    areas fields things like hal""".split()
)
ITEM_WORDS = 3  # content words of a list item: a longer part is a clause, not an item
ITEM_LAST = 5  # the last item may run on ("dan flash NAND 3D 128 lapis")


def list_items(sentence: str) -> list[list[str]]:
    """The items of the list a sentence ends with ("..., seperti A, B, dan C"), each as its
    content words; empty when it gives none (three items at least, split by commas)."""
    quoted = sentence.rsplit("\u201d", 1)[0] if "\u201d" in sentence[:-3] else sentence
    segments = _COMMA.split(quoted.strip().rstrip(".!?,"))  # not "783,562"
    if len(segments) < 2:
        return []
    parts = [p for p in [*segments[:-1], *_AND.split(segments[-1])] if p.strip()]
    items: list[list[str]] = []
    for part in reversed(parts):  # the list runs back from the end while its items are short
        cue = ([None, *_CUE.finditer(part)])[-1]  # the last cue: "such as A, including B"
        content = keyword_tokens(part[cue.end() :]) if cue else []
        if not content:  # "and the like" ends a list, it does not start one
            cue, content = None, keyword_tokens(part)
        if not content or len(content) > (ITEM_LAST if not items else ITEM_WORDS):
            if len(items) == 2:  # "... menjadi mahir dalam A, B, dan C": A ends a clause
                items.append(content[-2:])
            break
        items.append(content)
        if cue:
            break
    items = [item for item in reversed(items) if not set(item) <= _VAGUE]
    return items if len(items) >= 3 else []


# a list has three items at least (`list_items`)
_SMALL = {"three": 3, "four": 4, "five": 5, "tiga": 3, "empat": 4, "lima": 5}
_N = "|".join([*_SMALL, "[3-5]"])
# "which three fields", "name the four ...", "tiga bidang apa", "apa saja tiga ..."
_ASKED_ITEMS = re.compile(
    rf"\b(?:which|what|name|list)\s+(?:are\s+)?(?:the\s+)?({_N})\s+\w+"
    rf"|\b({_N})\s+\w+(?:\s+\w+)?\s+(?:apa|mana)\b|\bapa\s+(?:saja\s+)?({_N})\s+\w+",
    re.I,
)


def asked_items(question: str) -> int | None:
    """How many things (three to five) the question asks for ("which three fields" -> 3),
    or None."""
    match = _ASKED_ITEMS.search(question)
    if match is None:
        return None
    word = next(g for g in match.groups() if g).lower()
    return int(word) if word.isdigit() else _SMALL[word]
