"""Follow-up questions: rewrite an elliptical question into a standalone one with the history.

Rules, not the LLM: the packaged 0.5B model, asked (with examples) to rewrite "what about
DRAM?" after "what chip limits apply to China?", repeated the earlier question in 4 of 4 tries.
A leading cue ("and", "what about", "bagaimana dengan", ...) is dropped; a question that
still leans on the conversation (a pronoun, or fewer than two content words) is joined to the
last question that stood on its own; any other question stands as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import keyword_tokens

History = Sequence[tuple[str, str]]  # (user message, assistant message)

_CUE = re.compile(
    r"^\s*(and|but|also|so|what about|how about|and what about|dan|lalu|terus|kalau|"
    r"bagaimana dengan|bagaimana kalau|juga)\b[\s,]*",
    re.IGNORECASE,
)
_PRONOUNS = {
    "it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "that", "those",
    "there", "dia", "ia", "mereka", "beliau", "tersebut", "itu", "sana", "nya",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _leans_on_context(question: str) -> tuple[bool, str]:
    stripped = _CUE.sub("", question).strip() or question
    tokens = [t.lower() for t in _WORD.findall(stripped)]
    pronoun = any(t in _PRONOUNS or (t.endswith("nya") and len(t) > 5) for t in tokens)
    return pronoun or len(keyword_tokens(stripped)) < 2, stripped


def standalone(question: str, history: History | None) -> str:
    """`question`, or, for a follow-up, the question joined to the conversation's topic."""
    if not history:
        return question
    leans, stripped = _leans_on_context(question)
    if not leans:
        return stripped[:1].upper() + stripped[1:] if stripped != question else question
    for earlier, _ in reversed(history):  # the latest question that stood on its own
        if not _leans_on_context(earlier)[0]:
            topic = earlier.strip()
            break
    else:
        topic = history[-1][0].strip()
    if not topic.endswith(("?", ".", "!")):
        topic += "?"
    return f"{topic} {stripped[:1].upper()}{stripped[1:]}"
