"""Follow-up questions: rewrite an elliptical question into a standalone one with the history.

Rules, not the LLM: the packaged 0.5B model, asked (with examples) to rewrite "what about
DRAM?" after "what chip limits apply to China?", repeated the earlier question in 4 of 4 tries.
A leading cue ("and", "what about", "bagaimana dengan", ...) is dropped; a question that
still leans on the conversation (a pronoun, or fewer than two content words) is joined to the
last question that stood on its own; any other question stands as it is. A question that leans
on a conversation that is not there ("when was this?" first) cannot be resolved: it is asked
back (`ASK_BACK`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.articles import derive_title
from rag.schema import Answer
from rag.text import keyword_tokens

History = Sequence[tuple[str, str]]  # (user message, assistant message)

_CUE = re.compile(
    r"^\s*(and|but|also|so|what about|how about|and what about|dan|lalu|terus|kalau|"
    r"bagaimana dengan|bagaimana kalau|juga)\b[\s,]*",
    re.IGNORECASE,
)
_PRONOUNS = {
    "it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "that", "those",
    "this", "these", "there", "dia", "ia", "mereka", "beliau", "tersebut", "itu", "sana", "nya",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _parse(question: str) -> tuple[str, bool, bool]:
    """(the question without a leading cue, it has a pronoun, it had a cue)."""
    stripped = _CUE.sub("", question).strip() or question
    tokens = [t.lower() for t in _WORD.findall(stripped)]
    pronoun = any(t in _PRONOUNS or (t.endswith("nya") and len(t) > 5) for t in tokens)
    return stripped, pronoun, stripped != question


def _leans_on_context(question: str) -> tuple[bool, str]:
    stripped, pronoun, _ = _parse(question)
    return pronoun or len(keyword_tokens(stripped)) < 2, stripped


ASK_BACK = {
    "en": "Which event do you mean? Please ask the whole question, with the names or the "
    "topic it is about.",
    "id": "Peristiwa mana yang Anda maksud? Tuliskan pertanyaannya lengkap, dengan nama atau "
    "topik yang dibahas.",
}
# a follow-up whose answer comes from none of the articles the conversation was about
ASK_BACK_OTHER = {
    "en": "Which event do you mean? The conversation was about “{title}”, but the passages "
    "that match this question are from another article. Please ask the whole question.",
    "id": "Peristiwa mana yang Anda maksud? Percakapan ini tentang “{title}”, tetapi bagian "
    "artikel yang cocok dengan pertanyaan ini berasal dari artikel lain. Tuliskan "
    "pertanyaannya lengkap.",
}


@dataclass(frozen=True)
class Followup:
    standalone: str  # the question to answer
    leans: bool  # it needs the conversation to be understood
    resolved: bool  # ... and the conversation gave it a topic (or it needs none)


def resolve(question: str, history: History | None) -> Followup:
    """The standalone question, and whether the conversation could resolve it."""
    leans = _leans_on_context(question)[0]
    stripped, pronoun, cue = _parse(question)
    # the conversation has a topic: a question that stood on its own, or an answer
    topic = any(not _leans_on_context(q)[0] or a.strip() for q, a in history or [])
    # "when was this?" with nothing before it; "DRAM?" alone is a question of its own
    if not topic and (pronoun or cue) and len(keyword_tokens(stripped)) < 2:
        return Followup(question, True, False)
    return Followup(standalone(question, history), leans, True)


_MARK = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
REFERENT = 80  # characters of the last answer a pronoun's referent keeps at most


def _first_sentence(answer: str) -> str:
    """The gist of an answer: its first sentence's main clause (without citation marks),
    short enough not to drown the follow-up's own words."""
    text = _MARK.sub("", answer).strip()
    return derive_title(text, REFERENT).rstrip(".!?… ") if text else ""


def standalone(question: str, history: History | None) -> str:
    """`question`, or, for a follow-up, the question made to stand on its own: a pronoun
    ("when was this?") gets what the last answer said in brackets; a cue or a short
    question ("what about DRAM?") is joined to the conversation's topic (the latest question
    that stood on its own). An abstained answer (empty text) says nothing to refer to."""
    if not history:
        return question
    leans, stripped = _leans_on_context(question)
    if not leans:
        return stripped[:1].upper() + stripped[1:] if stripped != question else question
    _, pronoun, cue = _parse(question)
    said = _first_sentence(history[-1][1])
    if pronoun and not cue and said:  # "when was this?": this = what the last answer said
        return f"{stripped[:1].upper()}{stripped[1:].rstrip('?.! ')} ({said})?"
    for earlier, _ in reversed(history):  # the latest question that stood on its own
        if not _leans_on_context(earlier)[0]:
            topic = earlier.strip()
            break
    else:
        topic = history[-1][0].strip()
    if not topic.endswith(("?", ".", "!")):
        topic += "?"
    return f"{topic} {stripped[:1].upper()}{stripped[1:]}"


def asking_back(question: str, lang: str, previous: Answer | None = None,
                found: Answer | None = None) -> Answer:  # fmt: skip
    """The answer that asks the question back: no history to lean on, or (`previous`, the
    conversation's last answer) an answer `found` in none of the articles it cited."""
    if previous is None or not previous.citations:
        text = ASK_BACK.get(lang, ASK_BACK["en"])
    else:
        text = ASK_BACK_OTHER.get(lang, ASK_BACK_OTHER["en"])
        text = text.format(title=previous.citations[0].title)
    related = found.citations if found is not None else []
    return Answer(
        question=question, answer=text, abstained=True, asks_back=True, citations=[],
        related=related, language=lang,
    )  # fmt: skip


def same_topic(answer: Answer, previous: Answer) -> Answer:
    """`answer` to a follow-up, or a question back when it cites none of the articles the
    previous answer did ("when was this?" answered from another story)."""
    if answer.abstained or not previous.citations:
        return answer
    if {c.doc_id for c in answer.citations} & {c.doc_id for c in previous.citations}:
        return answer
    return asking_back(answer.question, answer.language, previous, answer).model_copy(
        update={"standalone_question": answer.standalone_question}
    )
