"""Chunks: Indonesian-aware sentence splitting and sentence-packed chunks with exact offsets."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from rag.articles import Article

# Abbreviations that precede a name or number: a period after them never ends a sentence.
TITLES = frozenset(
    """
    dr drs dra ir prof h hj kh tn ny nn sdr sdri bpk bp jl jln no rp st kab kec kel prov yth
    tgl hlm lt mr mrs ms jr sr vs pt tbk cv ud a.n u.p s.d gen kol letjen mayjen brigjen
    kapt kompol aiptu bripka ipda akbp kombes irjen komjen jan feb mar apr jun jul agu agt
    aug sep sept okt oct nov des dec
    """.split()
)
# Candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)")
_PARA = re.compile(r"\n\s*\n|\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_LOOKBACK = 40


def _is_false_stop(text: str, stop_at: int, nxt: str) -> bool:
    """True where the stop at `stop_at` is an abbreviation, initial or mid-sentence quote."""
    if nxt and (nxt[0].islower() or nxt[0] in ",;"):
        return True  # '"Ini luar biasa!" katanya.' / '3.5 kg' / 'dll. pada'
    if text[stop_at] != "." or text[stop_at : stop_at + 2] == "..":
        return False
    # look back a bounded window only (a slice of the whole text per stop made splitting
    # quadratic in paragraph length); a word longer than it is no title or initial
    lo = max(0, stop_at - _LOOKBACK)
    m = _WORD_BEFORE.search(text, lo, stop_at)
    if not m or (m.start() == lo and lo > 0 and text[lo - 1].isalpha()):
        return False
    word = m.group(1).lower().rstrip(".")
    if word in TITLES:
        return True
    return len(word) == 1 and m.group(1).isupper()  # initials: "B. J. Habibie"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences; line breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    pos = 0
    paragraphs: list[tuple[int, int]] = []
    for m in _PARA.finditer(text):
        paragraphs.append((pos, m.start()))
        pos = m.end()
    paragraphs.append((pos, len(text)))
    for p_start, p_end in paragraphs:
        para = text[p_start:p_end]
        start = 0
        for m in _BOUNDARY.finditer(para):
            end = m.end(2)
            nxt = para[m.end() : m.end() + 1]
            if _is_false_stop(para, m.start(1), nxt):
                continue
            if para[start:end].strip():
                spans.append(_trim(text, p_start + start, p_start + end))
            start = m.end()
        if para[start:].strip():
            spans.append(_trim(text, p_start + start, p_end))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


LONGEST = 8  # a sentence over 8 chunk sizes is cut (a page without punctuation)


def _capped(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """`spans` with every span longer than `size` cut at spaces into pieces of about `size`
    (a 'sentence' of a page without punctuation must not become one huge chunk)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > size:
            cut = text.rfind(" ", start + size // 2, start + size)
            cut = cut if cut > start else start + size
            out.append(_trim(text, start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            out.append((start, end))
    return out


def chunk_article(article: Article, chunk_size: int = 500, overlap: int = 1) -> list[Document]:
    """Pack whole sentences into chunks of about `chunk_size` chars, `overlap` sentences shared.

    Each chunk's `page_content` is exactly `article.text[char_start:char_end]`.
    """
    sentences = _capped(article.text, split_sentences(article.text), LONGEST * chunk_size)
    groups: list[list[tuple[int, int]]] = []
    nxt = 0  # the first sentence not in any chunk yet
    while nxt < len(sentences):
        start = max(nxt - overlap, 0) if groups else 0
        # drop overlap sentences that would leave no room for a new one
        while start < nxt and sentences[nxt][1] - sentences[start][0] > chunk_size:
            start += 1
        end = nxt + 1  # every chunk takes at least one new sentence
        while end < len(sentences) and sentences[end][1] - sentences[start][0] <= chunk_size:
            end += 1
        groups.append(sentences[start:end])
        nxt = end
    docs = []
    for n, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        docs.append(
            Document(
                id=f"{article.doc_id}::{n}",
                page_content=article.text[start:end],
                metadata={
                    "doc_id": article.doc_id,
                    "title": article.title,
                    "published": article.published or "",
                    "source": article.source,
                    "path": article.path,
                    "url": article.url or "",
                    "author": article.author or "",
                    "language": article.language or "",
                    "chunk_index": n,
                    "char_start": start,
                    "char_end": end,
                    "content_hash": article.content_hash,
                },
            )
        )
    return docs
