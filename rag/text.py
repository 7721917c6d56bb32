"""Keyword tokenization (Indonesian + English stopwords) and language identification."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from rag.errors import BackendUnavailable

STOPWORDS_ID = frozenset(
    """
    ada adalah adanya agar akan akankah aku anda antara apa apakah apabila atas atau
    bagaimana bagaimanakah bagi bahkan bahwa baik banyak barang beberapa begitu belum berapa
    berapakah besar bila bisa boleh bukan bukankah dalam dan dapat dari daripada demikian
    dengan di dia dimana manakah diri dirinya ia ini itu jadi jika juga kalau kami kamu
    kapan kapankah karena ke kemudian kenapa kepada ketika kita lagi lain lalu lebih maka
    masih mana mengapa menjadi mereka meski misalnya mungkin namun nya oleh pada para pernah
    pula saat saja sama sampai sangat saya se sebagai sebelum sedang sehingga sejak selama
    semua seperti serta setelah siapa siapakah suatu sudah supaya tak tanpa tapi telah
    tentang tersebut tetapi tidak untuk walaupun yaitu yakni yang sebuah seorang sendiri hal
    hanya harus sementara terhadap dimanakah bilamana mengenai melalui hingga kah pun lah
    tah nah tiap setiap
    """.split()
)
STOPWORDS_EN = frozenset(
    """
    a an the and or but if then else of to in on at by for with from into about as is are
    was were be been being do does did done have has had having it its this that these those
    there here what which who whom whose when where why how not no nor so than too very can
    could will would shall should may might must i you he she we they me him her us them my
    your his our their any all some such each both few more most other own same only just
    also up down out over under again further once during before after above below between
    through
    """.split()
)
# Words that tell the two languages apart (no overlap with each other).
_LANG_ID = STOPWORDS_ID - STOPWORDS_EN
_LANG_EN = STOPWORDS_EN - STOPWORDS_ID

_TOKEN = re.compile(r"[0-9a-z]+(?:[.,][0-9]+)*", re.IGNORECASE)


_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def one_line(text: str) -> str:
    """`text` as one clean line: terminal escape sequences ('\\x1b[31m') and control and
    format characters removed, whitespace runs made one space."""
    text = _ESCAPES.sub("", text)
    kept = "".join(ch if ch.isspace() or unicodedata.category(ch)[0] != "C" else "" for ch in text)
    return " ".join(kept.split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens; keeps '14nm', '3.5', 'h100' whole."""
    return [t.lower() for t in _TOKEN.findall(text)]


def keyword_tokens(text: str, stem: Callable[[str], str] | None = None) -> list[str]:
    """Tokens for BM25: words minus Indonesian and English stopwords, optionally stemmed."""
    tokens = [t for t in words(text) if t not in STOPWORDS_ID and t not in STOPWORDS_EN]
    return [stem(t) for t in tokens] if stem else tokens


class Stemmer:
    """Indonesian stemming (Sastrawi: 'menjual' -> 'jual'), cached per word; other tokens
    (numbers, codes) pass through."""

    def __init__(self) -> None:
        try:
            from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise BackendUnavailable("BM25 stemming needs: pip install pysastrawi") from exc
        self._stemmer = StemmerFactory().create_stemmer()
        self._cache: dict[str, str] = {}

    def __call__(self, token: str) -> str:
        if not token.isalpha():
            return token
        if token not in self._cache:
            self._cache[token] = self._stemmer.stem(token) or token
        return self._cache[token]


Language = Literal["id", "en"]
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "id": "Indonesian"}  # for prompts
# An Indonesian question word first settles it: "Kapan novel We Need to Talk About Kevin
# dirilis?" has more English function words than Indonesian ones.
_QUESTION_ID = frozenset(
    """apa apakah siapa siapakah kapan kapankah berapa berapakah dimana dimanakah mana manakah
    mengapa kenapa bagaimana bagaimanakah adakah bilamana""".split()
)


def function_word_language(text: str) -> Language | None:
    """'id' or 'en' by which language's function words are more frequent; None on a tie."""
    toks = words(text)
    en = sum(t in _LANG_EN for t in toks)
    idn = sum(t in _LANG_ID for t in toks)
    return None if en == idn else ("en" if en > idn else "id")


@cache
def _lingua() -> Any:
    """Lingua's detector for the two languages (its models ship in the wheel)."""
    try:
        from lingua import Language as Lingua
        from lingua import LanguageDetectorBuilder
    except ImportError as exc:
        raise BackendUnavailable(
            "language identification needs: pip install lingua-language-detector"
        ) from exc
    return LanguageDetectorBuilder.from_languages(Lingua.ENGLISH, Lingua.INDONESIAN).build()


def detect_language(text: str) -> Language:
    """'id' (Indonesian) or 'en' (English, and anything not Indonesian).

    A leading Indonesian question word decides; else the function words, when one language
    has more; else (headlines, names, short phrases) lingua's statistical models. Measured
    against the libraries alone in `evals/langid.py`.
    """
    toks = words(text)
    if toks and toks[0] in _QUESTION_ID:
        return "id"
    if (by_words := function_word_language(text)) is not None:
        return by_words
    if not toks:
        return "id"
    from lingua import Language as Lingua

    return "id" if _lingua().detect_language_of(text) == Lingua.INDONESIAN else "en"


def identifiers(text: str) -> set[str]:
    """Codes that must be matched literally in any language: tokens mixing letters and digits
    ('h100', '14nm', 'g20'). Plain numbers are left out: dates and amounts are often written
    differently in the article than in the question."""
    return {
        t
        for t in words(text)
        if any(c.isdigit() for c in t) and any(c.isalpha() for c in t) and not _ORDINAL.match(t)
    }


# "9th", "10th", "1930s" are numbers written the English way ("9", "ke-10", "1930-an")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th|s)$")
