"""The checked draft's citations: which sentence a listing sentence cites (the sentence by
sentence check itself is exercised through the writer in test_generate.py)."""

from __future__ import annotations

from rag.checker import SupportChecker
from rag.chunks import split_sentences
from rag.generate import passages_for
from rag.service import RagService
from rag.translate import Translator
from rag.verify import DraftChecker, _listing
from tests.helpers import LEAD, MODEL, VISIT, ScriptedChat

AGREED = (
    "Dari pertemuannya dengan Presiden Putin, dihasilkan berbagai kesepakatan di berbagai "
    "bidang, termasuk teknologi."
)


def test_a_listing_sentence_cites_the_sentence_listing_as_many() -> None:
    quote = f"{LEAD}\n\n{VISIT} {AGREED}"  # the seed's first passage (gold-002)
    spans = split_sentences(quote)
    said = "They want to be good at technology, security, and artificial intelligence."
    start, end = _listing(said, quote, spans) or (0, 0)
    assert quote[start:end] == LEAD  # e5 narrowed it to AGREED ("teknologi")
    assert _listing("They want to be good at technology.", quote, spans) is None  # no list
    four = "They want AI, the internet of things, 5G and the digital economy."
    assert _listing(four, quote, spans) is None  # no sentence lists four
    twice = f"{LEAD} {LEAD}"
    assert _listing(said, twice, split_sentences(twice)) is None  # which one: not known
    both = f"{LEAD} {MODEL}"
    start, end = _listing(four, both, split_sentences(both)) or (0, 0)
    assert both[start:end] == MODEL


def test_a_list_citing_the_wrong_passage_cites_the_one_listing_as_many(
    seed_service: RagService,
) -> None:
    asked = "Which three fields did the two leaders say they wanted to get good at?"  # gold-002
    ev = seed_service.extractive.evidence(asked, seed_service.retriever.invoke(asked))
    passages = passages_for(ev.ranked, 4, ev.pool[0])  # the lead's passage and MODEL's
    model = next(p for p in passages if p.quote == MODEL)  # lists four
    question = "Tiga bidang apa yang ingin dikuasai kedua pemimpin?"  # checked in Indonesian
    said = "Mereka ingin mahir dalam teknologi informasi, keamanan dunia maya, dan kecerdasan "
    said += f"buatan [{model.n}]."
    checker = SupportChecker(seed_service.embeddings, seed_service.settings.support_threshold)
    drafts = DraftChecker(checker, Translator(ScriptedChat(draft=""), checker, "fake"))
    ((_, cited),) = drafts.check(question, said, passages, "id").kept
    assert [c.quote for c in cited] == [LEAD]
    # a list of four stays with the passage listing four
    four = "Mereka bekerja sama di bidang kecerdasan buatan, internet of things, 5G, dan "
    four += f"ekonomi digital [{model.n}]."
    ((_, cited),) = drafts.check(question, four, passages, "id").kept
    assert [c.quote for c in cited] == [MODEL]
