"""Expected answer types: a question asking for a time, duration, price or count can only be
answered by a sentence that contains such an expression (English and Indonesian)."""

from __future__ import annotations

import re
from typing import Literal

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
