from __future__ import annotations

from langchain_core.documents import Document

from rag.sentences import (
    Sentence,
    asked_names,
    chunk_sentences,
    distinct_names,
    make_citations,
    sentence_words,
)


def _sentence(doc: Document, rank: int, start: int, end: int, score: float) -> Sentence:
    base = doc.metadata["char_start"]
    return Sentence(doc, rank, start, end, doc.page_content[start - base : end - base], score)


def test_make_citations_merges_adjacent_sentences_of_one_chunk() -> None:
    meta = {"doc_id": "d", "title": "T", "source": "S", "published": "", "char_start": 100}
    doc = Document(id="d::0", page_content="Satu dua. Tiga empat. Lima enam.", metadata=meta)
    other = Document(id="e::0", page_content="Lain lagi.", metadata={**meta, "doc_id": "e"})
    cites = make_citations(
        [
            _sentence(doc, 0, 110, 121, 0.9),  # "Tiga empat."
            _sentence(doc, 0, 100, 109, 0.8),  # "Satu dua." (adjacent: merged)
            _sentence(other, 1, 100, 110, 0.7),
        ]
    )
    assert [(c.n, c.doc_id, c.char_start, c.char_end) for c in cites] == [
        (1, "d", 100, 121),
        (2, "e", 100, 110),
    ]
    assert cites[0].quote == "Satu dua. Tiga empat." and cites[0].score == 0.9
    assert cites[0].published is None


def test_sentences_keep_article_offsets_and_overlaps_yield_each_once() -> None:
    meta = {"doc_id": "d", "title": "T", "source": "S", "published": "", "char_start": 10}
    first = Document(id="d::0", page_content="Satu dua. Tiga empat.", metadata=meta)
    second = Document(
        id="d::1", page_content="Tiga empat. Lima.", metadata={**meta, "char_start": 20}
    )
    got = chunk_sentences([first, second])
    assert [(s.text, s.start, s.end, s.rank) for s in got] == [
        ("Satu dua.", 10, 19, 0),
        ("Tiga empat.", 20, 31, 0),
        ("Lima.", 32, 37, 1),
    ]
    assert sentence_words(got) == {"satu", "dua", "tiga", "empat", "lima"}


def test_asked_names_are_capitalized_mixed_case_and_coded_words() -> None:
    assert asked_names("Where did detikINET get this story from?") == {"detikinet"}
    assert asked_names("What did Steve Jobs say about the H100?") == {"steve", "jobs", "h100"}
    assert asked_names("How long was the visit?") == set()


def test_distinct_names_are_mixed_case_words_and_codes() -> None:
    question = "Apakah detikINET dan iPhone menyebut H100 dari AS, Presiden Xi?"
    assert distinct_names(question) == {"detikinet", "iphone", "h100"}
