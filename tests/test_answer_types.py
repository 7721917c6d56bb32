from __future__ import annotations

import pytest

from rag.answer_types import (
    AnswerType,
    asked_items,
    asks_date,
    expected_type,
    has_type,
    list_items,
)
from tests.helpers import CHIP_SENTENCE, MODEL, VISIT


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the meeting end?", "time"),
        ("Kapan pertemuan itu berakhir?", "time"),
        ("Jam berapa pesawat mendarat?", "time"),
        ("How long did Xi's visit last?", "duration"),
        ("Berapa lama kunjungan itu?", "duration"),
        ("How much does an Nvidia H100 cost in Russia?", "money"),
        ("Berapa harga beras di Jakarta?", "money"),
        ("How many companies stopped selling to Russia?", "count"),
        ("Berapa jumlah penumpang pesawat itu?", "count"),
        ("What chip limits apply to China?", None),
        ("Siapa yang bertemu Putin?", None),
        ("How much influence does China have?", None),  # 'how much' without a price word
    ],
)
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


@pytest.mark.parametrize(
    ("kind", "sentence", "expected"),
    [
        ("time", "Pertemuan digelar Jumat (24/3/2023) di Moskow.", True),
        ("time", "Pesawat mendarat pukul 14.30 WIB.", True),
        ("time", "The summit ended in March 2023.", True),
        ("time", "Kedua presiden sepakat membentuk model kerja sama baru.", False),
        ("duration", "Kunjungan tiga hari Presiden Jinping ke Moskow.", True),
        ("duration", "The talks lasted 5 hours.", True),
        ("duration", "Sejak menginvasi Ukraina lebih dari setahun yang lalu.", True),
        ("duration", "Rusia dan China akan mendukung komite Ad Hoc PBB.", False),
        ("money", "Harganya Rp 15.000 per kilogram.", True),
        ("money", "It costs $30,000 in Moscow.", True),
        ("money", "Nilainya mencapai 2 miliar dolar AS.", True),
        ("money", "China hanya dapat membuat chip 14nm dan NAND 128 lapis.", False),
        ("count", "Sebanyak 84 penumpang selamat.", True),
        ("count", "Ribuan warga mengungsi.", True),
        ("count", "Perusahaan teknologi memboikot Rusia.", False),
    ],
)
def test_has_type(kind: AnswerType, sentence: str, expected: bool) -> None:
    assert has_type(kind, sentence) is expected


def test_untyped_questions_accept_any_sentence() -> None:
    assert has_type(None, "apa saja")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("On what date did Xi Jinping land in Moscow?", True),
        ("Which year was the statement signed?", True),
        ("Dari media mana detikINET mengutip berita ini, dan pada tanggal berapa?", True),
        ("Tahun berapa Sunan Giri lahir?", True),
        ("When did Jamie Siminoff decide to start Ring?", False),  # "when his doorbell..."
        ("Pada tanggal berapakah VOC dinyatakan pailit?", True),
        ("Kapan pertemuan itu berakhir?", False),
        ("Di mana Presiden berceramah pada tanggal 13 September 2005?", False),  # date given
        ("How long did Xi's trip to Russia last?", False),
    ],
)
def test_asks_date(question: str, expected: bool) -> None:
    assert asks_date(question) is expected


def test_list_items_are_the_short_parts_a_sentence_ends_with() -> None:
    assert list_items(MODEL) == [
        ["kecerdasan", "buatan"], ["internet", "things"], ["5g"], ["ekonomi", "digital"],
    ]  # fmt: skip
    assert list_items(CHIP_SENTENCE) == [
        ["membuat", "chip", "14nm"], ["dram", "18nm"], ["flash", "nand", "3d", "128", "lapis"],
    ]  # fmt: skip
    # the first item ends a clause: its last words
    fields = "They want to lead in information technology, cybersecurity and AI."
    assert list_items(fields) == [["information", "technology"], ["cybersecurity"], ["ai"]]
    assert list_items(VISIT) == []  # no list
    area = "Its area is 783,562 square kilometers, of which 23,764 are in Europe."
    assert list_items(area) == []  # thousands, not items
    said = "“Kami unggul di AI, 5G, dan chip,” kata dia, Senin."
    assert list_items(said)[1:] == [["5g"], ["chip"]]  # the quotation ends the list
    assert list_items("Russia and China signed it, Xi said.") == []  # two parts are no list


@pytest.mark.parametrize(
    ("question", "count"),
    [
        ("Which three fields did the two leaders say they wanted to get good at?", 3),
        ("Name the 4 companies that left Russia.", 4),
        ("Dengan siapa Putin bertemu, dan tiga bidang teknologi apa yang ingin dikuasai?", 3),
        ("Apa saja lima negara anggota itu?", 5),
        ("Which two presidents met?", None),  # two things are no list
        ("Who met the three presidents?", None),  # not what is asked for
        ("Berapa lama kunjungan tiga hari itu?", None),
        ("What chip limits apply to China?", None),
    ],
)
def test_asked_items(question: str, count: int | None) -> None:
    assert asked_items(question) == count
