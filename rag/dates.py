"""Dates: the publication date of an Indonesian or English news text, as an ISO string."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1, "februari": 2, "feb": 2, "february": 2, "maret": 3,
    "mar": 3, "march": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6,
    "june": 6, "juli": 7, "jul": 7, "july": 7, "agustus": 8, "agu": 8, "agt": 8, "aug": 8,
    "august": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10,
    "october": 10, "november": 11, "nov": 11, "desember": 12, "des": 12, "dec": 12,
    "december": 12,
}  # fmt: skip
_DAY = r"(?:Senin|Selasa|Rabu|Kamis|Jumat|Jum'at|Sabtu|Minggu|Ahad)"
_DATE_NUMERIC = re.compile(_DAY + r",?\s*\(\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*\)")
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\b")
_DATE_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")


def _safe_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def extract_date(text: str) -> str | None:
    """The publication date: 'Jumat (24/3/2023)', '24 Maret 2023' or ISO, first found."""
    if m := _DATE_NUMERIC.search(text):
        return _safe_date(int(m[3]), int(m[2]), int(m[1]))
    for m in _DATE_WORDS.finditer(text):
        month = _MONTHS.get(m[2].lower())
        if month and (found := _safe_date(int(m[3]), month, int(m[1]))):
            return found
    if m := _DATE_ISO.search(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    return None
