"""Evidence sentences: the retrieved chunks split into sentences with article offsets, their
words and names, and the citations made from them."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from rag.answerable import TOP, WORD
from rag.checker import names
from rag.chunks import split_sentences
from rag.schema import Citation
from rag.text import words


@dataclass(frozen=True)
class Sentence:
    doc: Document  # the chunk it comes from
    rank: int  # the chunk's retrieval rank
    start: int  # offsets in the cleaned article
    end: int
    text: str
    score: float = 0.0


def chunk_sentences(chunks: list[Document]) -> list[Sentence]:
    """Sentences of the chunks with article offsets; overlapping chunks yield each once."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, doc in enumerate(chunks):
        base = int(doc.metadata["char_start"])
        for s, e in split_sentences(doc.page_content):
            key = (doc.metadata["doc_id"], base + s)
            if key not in seen:
                seen.add(key)
                out.append(Sentence(doc, rank, base + s, base + e, doc.page_content[s:e]))
    return out


def asked_names(question: str) -> set[str]:
    """The question's names, lower-cased: capitalized words and codes, and words with a
    capital inside ('detikINET')."""
    inner = {w.lower() for w in WORD.findall(question) if any(c.isupper() for c in w[1:])}
    return names(question) | inner


def distinct_names(question: str) -> set[str]:
    """The question's names that hardly any other text has, lower-cased: mixed-case words
    ('detikINET', 'iPhone') and codes ('H100'), not acronyms ('AS') or capitalized words."""
    return {
        w.lower()
        for w in WORD.findall(question)
        if (any(c.isupper() for c in w[1:]) and not w.isupper())
        or (any(c.isdigit() for c in w) and any(c.isalpha() for c in w))
    }


def sentence_words(sentences: list[Sentence]) -> set[str]:
    """The lower-cased words of `sentences`."""
    return {w for s in sentences for w in words(s.text)}


def chunk_text(ranked: list[Sentence]) -> str:
    """The text of the chunks the best sentences come from, each once (the answerability
    cues' context)."""
    return " ".join({id(s.doc): s.doc.page_content for s in ranked[:TOP]}.values())


def make_citations(sentences: list[Sentence]) -> list[Citation]:
    """One citation per run of adjacent sentences of the same chunk, in retrieval order."""
    ordered = sorted(sentences, key=lambda s: (s.rank, s.start))
    groups: list[list[Sentence]] = []
    for s in ordered:
        last = groups[-1][-1] if groups else None
        if last and last.doc.id == s.doc.id and s.start - last.end <= 2:
            groups[-1].append(s)
        else:
            groups.append([s])
    citations = []
    for n, group in enumerate(groups, 1):
        doc, start, end = group[0].doc, group[0].start, group[-1].end
        base = int(doc.metadata["char_start"])
        meta = doc.metadata
        citations.append(
            Citation(
                n=n,
                doc_id=meta["doc_id"],
                title=meta["title"],
                source=meta["source"],
                published=meta.get("published") or None,
                url=meta.get("url") or None,
                quote=doc.page_content[start - base : end - base],
                char_start=start,
                char_end=end,
                score=round(max(s.score for s in group), 4),
            )
        )
    return citations
