"""Answerability: do the best evidence sentences state the answer, or only come near it?

A near miss (the article says where someone was born; the question asks where he died) scores
high on similarity, so the similarity threshold, whose job is off-topic questions, lets it
through. This check runs after it, in the answer gate both writers share. Modes
(`Settings.answerability`):

- `model`: logistic regression over features the answer stage already has (e5 vectors of the
  question and the best sentence, similarity scores, content-word and name overlap, the
  expected answer type, negation and comparative cues), trained on IDK-MRC's training split by
  `python -m evals.answerability`; its weights ship as `answerability.json` beside this file,
  with the sha256 of the data. It has no opinion when the best sentence is in another language
  than the question (its word-overlap cues mean nothing there).
- `judge`: the local LLM reads the question and the passages the answer would be written from
  and is asked whether they state the answer: one forward pass, p("yes") against p("no") from
  the next-token logits, no generation (`rag.generate.judge_prompt`,
  `rag.llm.LlamaCppChat.yes_probability`).
- `both`: the mean of the two probabilities.

Each mode's threshold is calibrated on a held-apart part of the training data (see README).
When the check refuses, the abstention names what the closest passages mention and which of
the question's words they lack.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from rag.answer_types import expected_type, has_type
from rag.checker import _matches, names, numbers
from rag.errors import ConfigError
from rag.text import detect_language, keyword_tokens


class Scored(Protocol):
    """A ranked evidence sentence, as the check reads it (`rag.answer.Sentence` is one)."""

    @property
    def text(self) -> str: ...
    @property
    def score(self) -> float: ...


Mode = Literal["off", "model", "judge", "both"]
WEIGHTS = Path(__file__).with_name("answerability.json")
TOP = 3  # evidence sentences the features and the judge look at
JUDGE_CALIBRATED_WITH = "qwen2.5-coder-1.5b"  # the judge threshold in WEIGHTS was set with it
WORD = re.compile(r"[^\W_]+")  # words as written (names keep their capitals)

NEGATION = re.compile(r"\b(tidak|tak|bukan|belum|tanpa|not|never|no|without)\b|n't\b", re.I)
COMPARATIVE = re.compile(
    r"\b(paling|lebih|pertama|terakhir|utama|satu-satunya|tertua|termuda|terbesar|terkecil|"
    r"tertinggi|terendah|terpanjang|terluas|terbanyak|terkenal|terbaik|terburuk|terdekat|"
    r"terjauh|terbaru|terlama|terawal|most|least|more|less|first|last|only|main|oldest|"
    r"youngest|largest|biggest|smallest|highest|lowest|longest|best|worst|latest|earliest)\b",
    re.I,
)
QUESTION_WORDS: dict[str, re.Pattern[str]] = {
    "who": re.compile(r"\b(siapa\w*|who|whom|whose)\b", re.I),
    "when": re.compile(r"\b(kapan\w*|when|tahun berapa\w*|tanggal berapa\w*)\b", re.I),
    "where": re.compile(r"\b(di ?mana\w*|ke ?mana\w*|where)\b", re.I),
    "how_many": re.compile(r"\b(berapa\w*|how (many|much|long|far|old))\b", re.I),
    "why": re.compile(r"\b(mengapa|kenapa|why)\b", re.I),
    "how": re.compile(r"\b(bagaimana\w*|how)\b", re.I),
    "yes_no": re.compile(r"^\s*(apakah|adakah|is|are|was|were|do|does|did|can|will)\b", re.I),
    "what": re.compile(r"\b(apa\w*|what|which)\b", re.I),
}
CUES = [
    "score_1", "score_2", "score_3", "gap_12", "kw_best", "kw_top", "kw_chunks", "kw_missing",
    "names_top", "names_missing", "numbers_top", "type_asked", "type_best", "type_top",
    "neg_question", "neg_best", "comparative_question", "comparative_matched", "new_names_best",
    "new_numbers_best", "question_length", "same_language",
    *[f"asks_{k}" for k in QUESTION_WORDS],
]  # fmt: skip


def _vocabulary(texts: Sequence[str]) -> set[str]:
    return {w.lower() for text in texts for w in WORD.findall(text)}


def _share(needed: set[str], have: set[str]) -> float:
    return len(needed & have) / len(needed) if needed else 1.0


def cues(
    question: str,
    lang: str,
    top: Sequence[Scored],
    chunk_text: str,
    threshold: float,
    stem: Callable[[str], str] | None,
) -> dict[str, float]:
    """The hand-made features: scores relative to the language's similarity threshold, and
    what of the question the best sentences (and their chunks) contain."""
    scores = [s.score - threshold for s in top] + [-1.0] * (TOP - len(top))
    best = top[0].text if top else ""
    top_text = " ".join(s.text for s in top)
    q_kw = set(keyword_tokens(question, stem))
    best_kw, top_kw = set(keyword_tokens(best, stem)), set(keyword_tokens(top_text, stem))
    chunk_kw = set(keyword_tokens(chunk_text, stem))
    # soft: the weights were trained when 'satu', 'kedua', 'both' counted as numbers
    q_names, q_numbers = names(question), numbers(question, True)
    top_vocab = _vocabulary([top_text])
    kind = expected_type(question)
    comparative = {m.lower() for m in COMPARATIVE.findall(question)}
    out = {
        "score_1": scores[0], "score_2": scores[1], "score_3": scores[2],
        "gap_12": scores[0] - scores[1],
        "kw_best": _share(q_kw, best_kw), "kw_top": _share(q_kw, top_kw),
        "kw_chunks": _share(q_kw, chunk_kw), "kw_missing": float(len(q_kw - chunk_kw)),
        "names_top": (
            sum(_matches(n, top_vocab) for n in q_names) / len(q_names) if q_names else 1.0
        ),
        "names_missing": float(sum(not _matches(n, top_vocab) for n in q_names)),
        "numbers_top": _share(q_numbers, numbers(top_text, True)),
        "type_asked": float(kind is not None),
        "type_best": float(kind is not None and has_type(kind, best)),
        "type_top": float(kind is not None and any(has_type(kind, s.text) for s in top)),
        "neg_question": float(bool(NEGATION.search(question))),
        "neg_best": float(bool(NEGATION.search(best))),
        "comparative_question": float(bool(comparative)),
        "comparative_matched": float(bool(comparative) and comparative <= top_vocab),
        "new_names_best": math.log1p(len(names(best) - q_names)),
        "new_numbers_best": math.log1p(len(numbers(best, True) - q_numbers)),
        "question_length": math.log1p(len(question.split())),
        "same_language": float(bool(best) and detect_language(best) == lang),
    }  # fmt: skip
    for key, pattern in QUESTION_WORDS.items():
        out[f"asks_{key}"] = float(bool(pattern.search(question)))
    return out


def feature_vector(cue_values: dict[str, float], query: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Cues; the element-wise product of the question's and the best sentence's e5 vectors (a
    cosine whose dimensions the model weighs); the question's e5 vector (what is asked: some
    kinds of question are answered less often)."""
    return np.concatenate([np.array([cue_values[c] for c in CUES]), query * best, query])


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardised logistic regression: p = sigmoid(coef . (x - mean) / scale + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    thresholds: dict[str, float]  # by mode, calibrated on a held-apart part of the training data
    trained_on: str  # sha256 of the training data
    # the similarity each language's scores are measured from (the abstain thresholds of
    # training time), so later threshold settings do not shift the features
    score_reference: dict[str, float]

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> AnswerabilityModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the answerability weights {path}: {exc}") from exc
        if data.get("cues") != CUES:
            raise ConfigError(
                f"{path} was trained with other features: retrain with "
                "`python -m evals.answerability train`"
            )
        return cls(
            np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]),
            float(data["intercept"]), dict(data["thresholds"]), str(data["trained_on"]),
            dict(data["score_reference"]),
        )  # fmt: skip

    def probability(self, x: np.ndarray) -> float:
        z = float(((x - self.mean) / self.scale) @ self.coef + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def missing_part(
    question: str, top: Sequence[Scored], stem: Callable[[str], str] | None
) -> str | None:
    """The question's content words that no evidence sentence has (as the asker wrote them)."""
    have = set(keyword_tokens(" ".join(s.text for s in top), stem))
    vocab = _vocabulary([s.text for s in top])
    out = []
    for word in WORD.findall(question):
        kw = keyword_tokens(word, stem)
        if kw and kw[0] not in have and not (word[0].isupper() and _matches(word.lower(), vocab)):
            out.append(word)
    return " ".join(dict.fromkeys(out)) or None


def found_part(
    question: str, lang: str, top: Sequence[Scored], stem: Callable[[str], str] | None
) -> str | None:
    """The names of the question the best sentences mention, as the asker wrote them
    ("Putin and Xi Jinping"), else its content words they have."""
    vocab = _vocabulary([s.text for s in top[:TOP]])
    asked = names(question)
    tokens = WORD.findall(question)
    runs: list[list[str]] = [[]]
    end = 0  # where the previous word ended: a name runs on across spaces only
    for i, match in enumerate(WORD.finditer(question)):
        token = match.group()
        if runs[-1] and question[end : match.start()].strip():
            runs.append([])  # "Putin–Xi" is two names, "Xi Jinping" one
        if i and token.lower() in asked and _matches(token.lower(), vocab):
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
        end = match.end()
    named = list(dict.fromkeys(" ".join(run) for run in runs if run))
    if named:
        joiner = " and " if lang == "en" else " dan "
        return ", ".join(named[:-1]) + joiner + named[-1] if len(named) > 1 else named[0]
    have = set(keyword_tokens(" ".join(s.text for s in top[:TOP]), stem))
    plain = [t for t in tokens if (kw := keyword_tokens(t, stem)) and kw[0] in have]
    return " ".join(dict.fromkeys(plain[:5])) or None


class YesNoModel(Protocol):
    """An LLM that can say how likely its reply starts with "yes" (the judge)."""

    def yes_probability(self, messages: list[Any]) -> float: ...


class AnswerabilityCheck:
    """Decides whether the evidence states the answer, by the configured mode and threshold.

    `model_probability` runs in the answer gate both paths share; the judge's probability
    comes from the generative writer, which has the LLM (`rag.generate`), and both meet in
    `decide`."""

    def __init__(
        self,
        mode: Mode,
        *,
        model: AnswerabilityModel | None,
        thresholds: dict[str, float],
        stem: Callable[[str], str] | None,
    ) -> None:
        self.mode = mode
        self.model = model
        self.thresholds = thresholds  # by mode
        self.stem = stem

    @property
    def uses_model(self) -> bool:
        return self.mode in ("model", "both")

    @property
    def uses_judge(self) -> bool:
        return self.mode in ("judge", "both")

    def model_probability(
        self, question: str, lang: str, ranked: Sequence[Scored], query: np.ndarray,
        best: np.ndarray, chunk_text: str,
    ) -> float | None:  # fmt: skip
        """p(answerable) by the trained model; None (no opinion) when the best sentence is not
        in the question's language: it was trained on Indonesian questions over Indonesian
        text, and its word-overlap cues mean nothing across languages."""
        if self.model is None or not ranked or detect_language(ranked[0].text) != lang:
            return None
        reference = self.model.score_reference[lang]
        values = cues(question, lang, ranked[:TOP], chunk_text, reference, self.stem)
        return self.model.probability(feature_vector(values, query, best))

    def decide(self, p_model: float | None, p_judge: float | None) -> tuple[float, bool]:
        """(the probability the mode combines, whether it is high enough to answer)."""
        if self.mode == "both" and p_model is not None and p_judge is not None:
            p, mode = (p_model + p_judge) / 2, "both"
        elif p_judge is not None and self.uses_judge:
            p, mode = p_judge, "judge"
        elif p_model is not None:
            p, mode = p_model, "model"
        else:
            return 1.0, True
        return p, p >= self.thresholds[mode]

    def missing(self, question: str, lang: str, top: Sequence[Scored]) -> str | None:
        """The question's content words the best sentences lack; None across languages,
        where words cannot be compared."""
        if not top or detect_language(top[0].text) != lang:
            return None
        return missing_part(question, top[:TOP], self.stem)
