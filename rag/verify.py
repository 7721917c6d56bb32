"""Checking a generated answer sentence by sentence against the passages it cites.

Each sentence loses its citation marks and lead-ins; one that only points at a passage, or
asks a question (a small model may say the question back first), is left out. A sentence not
in the asker's language (or copying a passage in another language) is translated and checked
like a quote. Then the support checker (`rag.checker`) reads it against the cited quotes,
whole and sentence by sentence; across languages a sentence it finds too far gets a second
look against the checked translation of the closest cited sentence. Kept sentences cite the
single sentence that supports them, renumbered; a sentence listing N things cites the one
sentence of the passages that lists N, when there is one and it supports the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.answer_types import list_items
from rag.checker import SupportChecker, Verdict
from rag.chunks import split_sentences
from rag.drafts import copies_foreign, parse_sentence, points_only
from rag.schema import Answer, Citation
from rag.text import detect_language
from rag.translate import Translator, target_language


def _span(c: Citation, a: int, b: int) -> Citation:
    """The citation narrowed to characters a:b of its quote (its translation, if any, was of
    the whole quote: dropped)."""
    if (a, b) == (0, len(c.quote)):
        return c
    start, end = c.char_start + a, c.char_start + b
    update = {"quote": c.quote[a:b], "char_start": start, "char_end": end, "translation": None}
    return c.model_copy(update=update)


def _listing(sentence: str, quote: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The span of the one sentence of `quote` that lists as many things as `sentence`
    (three or more): the list's likely source; None unless there is exactly one."""
    count = len(list_items(sentence))
    same = [(a, b) for a, b in spans if count and len(list_items(quote[a:b])) == count]
    return same[0] if len(same) == 1 else None


def _relisted(
    sentence: str, cited: list[Citation], passages: list[Citation]
) -> list[Citation] | None:
    """For a sentence listing N things whose cited passages list no N, the one passage that
    does (the 1.5B cited gold-002's three fields to the passage that lists four); else None."""
    count = len(list_items(sentence))

    def lists(p: Citation) -> bool:
        return any(len(list_items(p.quote[a:b])) == count for a, b in split_sentences(p.quote))

    if not count or any(lists(c) for c in cited):
        return None
    others = [p for p in passages if lists(p)]
    return others if len(others) == 1 else None


def _units(quotes: list[str]) -> list[str]:
    """What a generated sentence may match: each quote whole and each of its sentences."""
    parts = [q[a:b] for q in quotes for a, b in split_sentences(q)]
    return [*quotes, *(p for p in parts if p not in quotes)]


@dataclass
class Checked:
    """A draft after the check: the kept sentences with their citations, and the dropped."""

    kept: list[tuple[str, list[Citation]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def answer(self, question: str, lang: str) -> Answer:
        """The kept sentences as the answer, their citations numbered in order."""
        numbering: dict[tuple[str, int, int], int] = {}
        citations: list[Citation] = []
        parts = []
        for sentence, cited in self.kept:
            for c in cited:
                key = (c.doc_id, c.char_start, c.char_end)
                if key not in numbering:
                    numbering[key] = len(citations) + 1
                    citations.append(c.model_copy(update={"n": numbering[key]}))
            marks = "".join(f"[{numbering[(c.doc_id, c.char_start, c.char_end)]}]" for c in cited)
            parts.append(f"{sentence} {marks}")
        return Answer(
            question=question, answer=" ".join(parts), abstained=False, citations=citations,
            language=lang, mode="generative", dropped=self.dropped,
        )  # fmt: skip


class DraftChecker:
    """Checks drafts with `checker`; `translator` repairs and translates across languages."""

    def __init__(self, checker: SupportChecker, translator: Translator) -> None:
        self.checker = checker
        self.translator = translator

    def check(self, question: str, text: str, passages: list[Citation], lang: str) -> Checked:
        """Each sentence of `text` kept (with the citations that support it) or dropped."""
        by_n = {p.n: p for p in passages}
        out = Checked()
        for start, end in split_sentences(text):
            sentence, cited_ns = parse_sentence(text[start:end].strip())
            if points_only(sentence) or not any(ch.isalnum() for ch in sentence):
                continue
            if sentence.rstrip().endswith("?"):  # the question said back is no answer
                continue
            if detect_language(sentence) != lang or copies_foreign(sentence, passages, lang):
                repaired = self._repair(sentence, lang, passages)
                if repaired is None:
                    out.dropped.append(sentence)
                    continue
                sentence = repaired
            cited = [by_n[n] for n in dict.fromkeys(cited_ns) if n in by_n]
            if not cited:  # uncited: attribute it to the passage that supports it best
                best = max(
                    passages,
                    key=lambda p: (
                        self.checker.check(sentence, [p.quote], context=question).similarity
                    ),
                )
                cited = [best]
            relisted = _relisted(sentence, cited, passages)
            if relisted is not None:  # checked against the listing passage, else as cited
                verdict, found = self._verdict(sentence, relisted, question, lang)
                if verdict.supported:
                    cited = found
            if relisted is None or not verdict.supported:
                verdict, cited = self._verdict(sentence, cited, question, lang)
            if verdict.supported:
                narrowed = [self._narrow(sentence, c, question) for c in cited]
                out.kept.append((sentence, narrowed))
            else:
                out.dropped.append(sentence)
        return out

    def _verdict(
        self, sentence: str, cited: list[Citation], question: str, lang: str
    ) -> tuple[Verdict, list[Citation]]:
        """The check of `sentence` against `cited` (across languages, a second look through
        translations), and the citations it then points at."""
        verdict = self.checker.check(sentence, _units([c.quote for c in cited]), context=question)
        if not verdict.supported and any(self.translator.wanted(c, lang) for c in cited):
            verdict, cited = self._translated_check(sentence, cited, question, lang)
        return verdict, cited

    def _repair(self, sentence: str, lang: str, passages: list[Citation]) -> str | None:
        """`sentence` said in `lang` (a sentence that copies the passage's Indonesian, or
        leaves its terms untranslated, is translated and checked like a quote), or None."""
        said = self.translator.translate(sentence, target_language(lang))
        if said is None or copies_foreign(said, passages, lang):
            return None
        return parse_sentence(said)[0]

    def _translated_check(
        self, sentence: str, cited: list[Citation], question: str, lang: str
    ) -> tuple[Verdict, list[Citation]]:
        """A second look at a sentence the cited quotes in another language did not support:
        against the checked translation of each quote's closest sentence (e5 tells meanings
        apart more finely within a language than across). The citations then point at those
        sentences and carry their translations for the reader."""
        closest = []
        for c in cited:
            spans = split_sentences(c.quote) or [(0, len(c.quote))]
            listing = _listing(sentence, c.quote, spans)
            if listing is None:  # else the closest by meaning
                vectors = self.checker.cache([sentence, *(c.quote[a:b] for a, b in spans)])
                listing = spans[int(np.argmax(vectors[1:] @ vectors[0]))]
            a, b = listing
            closest.append(self.translator.cite(_span(c, a, b), lang))
        translations = [c.translation for c in closest if c.translation]
        verdict = self.checker.check(sentence, translations, context=question)
        return verdict, closest if verdict.supported else cited

    def _narrow(self, sentence: str, passage: Citation, question: str) -> Citation:
        """The single sentence of `passage` that supports `sentence` on its own (names and
        numbers of the question allowed, as in the check), if there is one, so the citation
        points at the exact sentence; else the whole passage."""
        spans = split_sentences(passage.quote)
        if len(spans) < 2:
            return passage
        listing = _listing(sentence, passage.quote, spans)
        if listing is not None:
            return _span(passage, *listing)
        verdicts = [
            (self.checker.check(sentence, [passage.quote[a:b]], context=question), a, b)
            for a, b in spans
        ]
        ok = [(v.similarity, a, b) for v, a, b in verdicts if v.supported]
        if not ok:
            return passage
        _, a, b = max(ok)
        return _span(passage, a, b)
