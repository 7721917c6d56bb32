"""Text: keyword tokens, language guess and literal identifiers."""

from __future__ import annotations

import pytest

from rag.text import (
    STOPWORDS_EN,
    STOPWORDS_ID,
    Stemmer,
    detect_language,
    identifiers,
    keyword_tokens,
    one_line,
    words,
)


def test_words_keep_codes_and_decimals_whole() -> None:
    assert words("Chip H100, 14nm; naik 3.5% atau Rp 1,5 juta (1.000.000)") == [
        "chip",
        "h100",
        "14nm",
        "naik",
        "3.5",
        "atau",
        "rp",
        "1,5",
        "juta",
        "1.000.000",
    ]


def test_keyword_tokens_drop_indonesian_stopwords() -> None:
    # 'apakah', 'yang', 'oleh', 'adalah' are function words; the rest carry the meaning.
    tokens = keyword_tokens("Apakah chip yang dibuat oleh China adalah 14nm?")
    assert tokens == ["chip", "dibuat", "china", "14nm"]


def test_keyword_tokens_drop_english_stopwords() -> None:
    tokens = keyword_tokens("What is the size of the H100 chip and its 3.5 GHz clock?")
    assert tokens == ["size", "h100", "chip", "3.5", "ghz", "clock"]


def test_keyword_tokens_never_contain_stopwords() -> None:
    text = "Menurut AS, sanksi tersebut akan menghambat upaya China dan the others would not."
    tokens = keyword_tokens(text)
    assert tokens
    assert not set(tokens) & (STOPWORDS_ID | STOPWORDS_EN)
    assert set(tokens) <= set(words(text))


def test_keyword_tokens_stem_applied_after_stopword_removal() -> None:
    calls: list[str] = []

    def stem(token: str) -> str:
        calls.append(token)
        return token.upper()

    assert keyword_tokens("Mereka menjual chip yang murah", stem=stem) == [
        "MENJUAL",
        "CHIP",
        "MURAH",
    ]
    assert calls == ["menjual", "chip", "murah"]  # stopwords never reach the stemmer


def test_stemmer_stems_words_and_passes_codes_through() -> None:
    stem = Stemmer()
    assert stem("menjual") == "jual"
    assert stem("14nm") == "14nm"
    assert stem("3.5") == "3.5"
    assert stem("menjual") == "jual"  # cached result is the same


def test_stopword_lists_do_not_overlap() -> None:
    # detect_language relies on words that belong to only one of the two languages
    assert not STOPWORDS_ID & STOPWORDS_EN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is the size of the chip that China can make?", "en"),
        ("Berapa ukuran chip yang dapat dibuat oleh China?", "id"),
        ("APAKAH RUSIA DAN CHINA AKAN BEKERJA SAMA?", "id"),
        ("WHO WILL BUILD THE CHIPS?", "en"),
        ("", "id"),  # no evidence: Indonesian is the default
        # a leading Indonesian question word outweighs an English title
        ("Kapan novel We Need to Talk About Kevin dirilis?", "id"),
        # no function words (headlines): lingua's models decide
        ("North Korea plans rocket launch", "en"),
        ("Banjir melanda Jakarta", "id"),
        ("Harga cabai naik", "id"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_identifiers_are_letter_digit_codes_lowercased() -> None:
    found = identifiers("Does the H100 beat the G20 summit chip made at 14nm?")
    assert found == {"h100", "g20", "14nm"}


def test_identifiers_leave_out_words_and_plain_numbers() -> None:
    # Documented: plain numbers (dates, amounts) are not identifiers, whatever their length.
    assert identifiers("the chip cost 3000 dollars in 2023, up 3.5 percent") == set()
    assert identifiers("") == set()


def test_one_line_strips_terminal_escapes_and_control_characters() -> None:
    dirty = "\x1b[31mApa batasan chip\x1b[0m untuk\u200b China?\x07\x00\n\t \x1b]0;judul\x07"
    assert one_line(dirty) == "Apa batasan chip untuk China?"
    assert one_line("  Siapa   bertemu\nPutin? ") == "Siapa bertemu Putin?"


def test_ordinals_are_numbers_not_codes() -> None:
    assert identifiers("the 9th of August, the 1930s, 14nm chips, the H100") == {"14nm", "h100"}
