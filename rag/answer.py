"""Answer: retrieved chunks -> best-supported sentences -> an answer with exact citations.

The writer is pluggable (`rag.schema.AnswerWriter`); `ExtractiveGenerator` quotes the article
sentences that best match the question and abstains when the evidence is weak; `make_chain`
is the one LangChain chain both answer modes run through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda

from rag.answer_types import asked_items, asks_date, expected_type, has_type, list_items
from rag.answerable import WORD, AnswerabilityCheck, found_part
from rag.embeddings import EmbeddingCache, ModelEmbeddings
from rag.retrieve import HybridRetriever
from rag.schema import Answer, AnswerStream, AnswerWriter, Citation, Restart
from rag.sentences import (
    Sentence,
    asked_names,
    chunk_sentences,
    chunk_text,
    distinct_names,
    make_citations,
    sentence_words,
)
from rag.text import detect_language, identifiers, keyword_tokens, words

NOT_FOUND = {
    "en": "The articles don't say.",
    "id": "Artikel yang ada tidak menyebutkannya.",
}
# The abstention names what the closest passages lack, when the question's words show it.
NOT_STATED = {
    "en": "The articles don't say. The closest passages mention {found}, but nothing about "
    "{missing}.",
    "id": "Artikel yang ada tidak menyebutkannya. Bagian artikel terdekat menyebut {found}, "
    "tetapi tidak tentang {missing}.",
}
NOT_MENTIONED = {
    "en": "The articles don't say: none of the indexed passages mentions {codes}.",
    "id": "Artikel yang ada tidak menyebutkannya: tidak ada bagian artikel yang menyebut {codes}.",
}
NOT_STATED_NO_WORDS = {
    "en": "The articles don't say. The closest passages mention {found}, but none of them "
    "states the answer.",
    "id": "Artikel yang ada tidak menyebutkannya. Bagian artikel terdekat menyebut {found}, "
    "tetapi tidak ada yang menyatakan jawabannya.",
}


# An extractive answer quotes the article; without an LLM nothing can translate the quote.
UNTRANSLATED = {
    "en": "Quoted as the article wrote it (in Indonesian): no language model is configured "
    "to translate it.",
    "id": "Dikutip sesuai tulisan artikel (dalam bahasa Inggris): tidak ada model bahasa "
    "untuk menerjemahkannya.",
}

__all__ = [  # the types live in rag.schema; re-exported here, where they are used
    "Answer",
    "AnswerStream",
    "AnswerWriter",
    "Citation",
    "ExtractiveGenerator",
    "Restart",
    "make_chain",
]

AnswerTypeMode = Literal["off", "prefer", "abstain"]
TYPE_MARGIN = 0.04  # how far below the best sentence a sentence of the asked-for type may be
# Related passages of an abstention score at most this far below the answer threshold: on the
# seed, near misses (the H100 price) score above the threshold and off-topic questions ("the
# capital of France", "the 2022 World Cup") 0.03 or more below it.
RELATED_MARGIN = 0.02
CROSS_TOP = 10  # the best sentences (by e5) the cross-lingual gate scores
NAME_MARGIN = 0.05  # how far below its threshold a question naming a distinct name may pass
DATE_TOP = 4  # a date question needs a dated sentence among this many best (the LLM's prompt)
NO_DATE = {"en": "a date", "id": "tanggalnya"}  # what an undated answer lacks


@dataclass(frozen=True)
class Evidence:
    """What the answer gate decided: the question's language, every retrieved sentence best
    first, the sentences fit to answer from (empty: abstain) and why not."""

    lang: str
    ranked: list[Sentence]
    pool: list[Sentence]
    p_model: float | None = None  # the answerability model's probability, where it ran
    missing: str | None = None  # the question's words the closest sentences lack
    found: str | None = None  # the question's words they have
    unknown_codes: str | None = None  # codes ('H100') of the question no passage has
    floor: float = 0.0  # an abstention offers as related only passages scoring this or more


class ExtractiveGenerator:
    """Quotes the best-matching sentences; abstains below the language's threshold or when a
    code in the question (like 'H100') appears in none of the retrieved text."""

    def __init__(
        self,
        embeddings: ModelEmbeddings,
        *,
        threshold: float,
        threshold_en: float,
        max_sentences: int,
        margin: float,
        answer_types: AnswerTypeMode,
        cache: EmbeddingCache | None = None,
        answerability: AnswerabilityCheck | None = None,
        cross: ModelEmbeddings | None = None,
        threshold_cross: float = 0.0,
        stem: Callable[[str], str] | None = None,
    ) -> None:
        """Parameters come from `Settings` (see `rag.service.make_extractive`); with `cross`
        (the cross-lingual embedder), English questions are gated on its score instead; `stem`
        (the Indonesian stemmer) matches an abstention's words to the evidence's."""
        self.embeddings = embeddings
        self.cache = cache or EmbeddingCache(embeddings)
        # English questions score lower against Indonesian text (about 0.045 on paired
        # questions), so each language has its own threshold.
        self.thresholds = {"id": threshold, "en": threshold_en}
        self.cross = EmbeddingCache(cross) if cross is not None else None
        self.threshold_cross = threshold_cross
        self.max_sentences = max_sentences
        self.margin = margin
        self.answer_types = answer_types
        self.answerability = answerability
        self.stem = answerability.stem if answerability is not None else stem

    def score(
        self, question: str, chunks: list[Document], q: np.ndarray | None = None
    ) -> list[Sentence]:
        """Candidate sentences, best first: cosine to the question plus a small keyword bonus."""
        sentences = chunk_sentences(chunks)
        if not sentences:
            return []
        if q is None:
            q = self.embeddings.embed_query_np(question)
        sims = self.cache([s.text for s in sentences]) @ q
        q_kw = set(keyword_tokens(question))
        scored = []
        for s, sim in zip(sentences, sims, strict=True):
            overlap = len(q_kw & set(keyword_tokens(s.text))) / len(q_kw) if q_kw else 0.0
            scored.append(
                Sentence(s.doc, s.rank, s.start, s.end, s.text, float(sim) + 0.02 * overlap)
            )
        return sorted(scored, key=lambda s: -s.score)

    def evidence(self, question: str, chunks: list[Document]) -> Evidence:
        """The answer gate: are there sentences fit to answer from, and which?"""
        lang = detect_language(question)
        floor = self.thresholds[lang] - RELATED_MARGIN
        q = self.embeddings.embed_query_np(question)
        ranked = self.score(question, chunks, q)
        evidence_words = {w for c in chunks for w in words(c.page_content)}
        missing_ids = identifiers(question) - evidence_words
        # Prefer a sentence of the asked-for type (a time, a price, ...) when one is about as
        # relevant as the best sentence; in "abstain" mode, answer only with such a sentence.
        kind = expected_type(question) if self.answer_types != "off" else None
        typed = [s for s in ranked if has_type(kind, s.text)]
        near = bool(typed) and typed[0].score >= ranked[0].score - TYPE_MARGIN
        pool = typed if near else ([] if self.answer_types == "abstain" else ranked)
        count = asked_items(question) if self.answer_types != "off" else None
        if kind is None and count:  # "which three fields": prefer a sentence listing three
            listing = [s for s in ranked if len(list_items(s.text)) == count]
            near = bool(listing) and listing[0].score >= ranked[0].score - TYPE_MARGIN
            pool = listing if near else ranked  # a list may be worded otherwise: no abstaining
        check = self.answerability
        # the similarity threshold keeps off-topic questions out; the answerability check,
        # near misses (a question about the same paragraph that it does not answer)
        if missing_ids:
            codes = [w for w in WORD.findall(question) if w.lower() in missing_ids]
            unknown = ", ".join(dict.fromkeys(codes))
            return Evidence(lang, ranked, [], unknown_codes=unknown, floor=floor)
        # on topic is the best sentence's call; a preferred sentence of the asked-for type
        # may score a little lower (TYPE_MARGIN)
        if not pool or not self.on_topic(question, lang, ranked):
            return Evidence(lang, ranked, [], floor=floor)
        if asks_date(question) and self.answer_types != "off":
            # "On what date did Xi land?" is not answered by "during Xi's three-day visit"
            pool = [s for s in ranked[:DATE_TOP] if has_type("time", s.text)]
            if not pool:
                return self.lacking(question, lang, ranked, NO_DATE[lang])
        if check is None or not check.uses_model:
            return Evidence(lang, ranked, pool, floor=floor)
        best = self.cache([ranked[0].text])[0]
        p = check.model_probability(question, lang, ranked, q, best, chunk_text(ranked))
        if check.mode == "model" and not check.decide(p, None)[1]:
            return self.refused(question, lang, ranked, p)
        return Evidence(lang, ranked, pool, p_model=p, floor=floor)

    def on_topic(self, question: str, lang: str, ranked: list[Sentence]) -> bool:
        """Whether the best evidence is close enough to the question to answer from. English
        questions, with the cross-lingual embedder, go by its best score over the CROSS_TOP
        sentences: it tells on-topic from off-topic ones better than e5 (README)."""
        e5_passes = ranked[0].score >= self.thresholds[lang]
        if lang == "id" or self.cross is None:
            # "Dari media mana detikINET mengutip berita ini?" (.819) is about the article: a
            # name only it has lowers the bar by NAME_MARGIN (README: no off-topic question
            # of 1,477 Indonesian ones passes so)
            near = ranked[0].score >= self.thresholds[lang] - NAME_MARGIN
            found = distinct_names(question) & sentence_words(ranked[:CROSS_TOP])
            return e5_passes or (near and bool(found))
        # USE misses questions about the article itself ("Where did detikINET get this story
        # from?" .10); one naming what the best sentences name is on topic (README)
        named = e5_passes and bool(asked_names(question) & sentence_words(ranked[:CROSS_TOP]))
        return named or self.cross_score(question, ranked) >= self.threshold_cross

    def cross_score(self, question: str, ranked: list[Sentence]) -> float:
        """The cross-lingual embedder's best cosine of `question` to the CROSS_TOP best
        sentences."""
        assert self.cross is not None
        q = self.cross.embeddings.embed_query_np(question)
        return float((self.cross([s.text for s in ranked[:CROSS_TOP]]) @ q).max())

    def refused(
        self, question: str, lang: str, ranked: list[Sentence], p: float | None
    ) -> Evidence:
        """An abstention by the answerability check, with what the evidence lacks."""
        assert self.answerability is not None
        missing = self.answerability.missing(question, lang, ranked)
        return self.lacking(question, lang, ranked, missing, p)

    def lacking(
        self,
        question: str,
        lang: str,
        ranked: list[Sentence],
        missing: str | None,
        p: float | None = None,
    ) -> Evidence:
        """An abstention naming what the best sentences lack (`missing`) and which of the
        question's names (else words) they do mention."""
        found = found_part(question, lang, ranked, self.stem)
        floor = self.thresholds[lang] - RELATED_MARGIN
        return Evidence(lang, ranked, [], p_model=p, missing=missing, found=found, floor=floor)

    def stream(self, question: str, chunks: list[Document]) -> AnswerStream:
        """The extractive answer: no text to stream, the answer is final at once."""
        return AnswerStream.of(self.generate(question, chunks))

    def generate(self, question: str, chunks: list[Document]) -> Answer:
        """Quote the best sentences with citations, or abstain."""
        return self.quote(question, self.evidence(question, chunks))

    def quote(
        self, question: str, ev: Evidence, untranslated: dict[str, str] = UNTRANSLATED
    ) -> Answer:
        """The answer the evidence gives by itself: its best sentences quoted with citations
        (abstains when there are none). A quote in another language than the question's gets
        the note `untranslated` (in the question's language)."""
        lang, pool = ev.lang, ev.pool
        if not pool:
            return abstention(question, ev)
        best = pool[0].score
        chosen = [s for s in pool[: self.max_sentences] if s.score >= best - self.margin]
        citations = make_citations(chosen)
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        foreign = any(detect_language(c.quote) != lang for c in citations)
        note = untranslated.get(lang) if foreign else None
        return Answer(
            question=question, answer=text, abstained=False, citations=citations, language=lang,
            notes=[note] if note else [],
        )  # fmt: skip


def abstention(question: str, ev: Evidence) -> Answer:
    """The explicit "the articles don't say" answer, with the closest passages as related;
    it names what they lack when the gate knows it (the answerability check, the date rule)."""
    text = NOT_FOUND[ev.lang]
    if ev.unknown_codes:
        text = NOT_MENTIONED[ev.lang].format(codes=ev.unknown_codes)
    elif ev.found and ev.missing:
        text = NOT_STATED[ev.lang].format(found=ev.found, missing=ev.missing)
    elif ev.found:
        text = NOT_STATED_NO_WORDS[ev.lang].format(found=ev.found)
    return Answer(
        question=question, answer=text, abstained=True,
        citations=[], related=make_citations([s for s in ev.ranked[:3] if s.score >= ev.floor]),
        language=ev.lang,
    )  # fmt: skip


@dataclass(frozen=True)
class Retrieved:
    question: str
    chunks: list[Document]


def make_chain(retriever: HybridRetriever, writer: AnswerWriter) -> Runnable[str, AnswerStream]:
    """question -> retriever -> answer writer -> `AnswerStream`, as one LangChain runnable.

    Both answer modes run through it; with an LLM the stream's text is written as it is read.
    """

    def _retrieve(question: str) -> Retrieved:
        return Retrieved(question, retriever.invoke(question))

    def _write(found: Retrieved) -> AnswerStream:
        return writer.stream(found.question, found.chunks)

    return RunnableLambda(_retrieve) | RunnableLambda(_write)
