"""Check a generated sentence against the passages it cites.

A sentence is kept only if (1) every number in it occurs in the cited text (number words such
as "dua"/"two" count as digits), (2) every name in it (capitalized words and codes like "H100")
matches a word of the cited text, allowing spelling across English and Indonesian
("Russia"/"Rusia"), (3) it does not turn the one a cited sentence says is acted upon ("China
tunduk pada pembatasan", China is subject to limits) into the one who acts ("China applies
limits"), and (4) its meaning is close to a cited sentence: the best cosine between the
sentence and the cited sentences reaches a threshold (an entailment proxy; see README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from rag.embeddings import EmbeddingCache, ModelEmbeddings
from rag.text import STOPWORDS_EN, STOPWORDS_ID

NUMBER_WORDS = {
    "dua": "2", "tiga": "3", "empat": "4", "lima": "5", "enam": "6", "tujuh": "7",
    "delapan": "8", "sembilan": "9", "sepuluh": "10", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
    "ketiga": "3", "third": "3", "sebelas": "11", "eleven": "11", "twelve": "12", "seratus": "100",
    "seribu": "1000",
}  # fmt: skip
# Words that may name a number but often do not ("one of", "satu sama lain" = each other,
# "both ... and" for "baik ... maupun"): they support a number, they never claim one.
SOFT_NUMBER_WORDS = {"satu": "1", "one": "1", "kedua": "2", "both": "2"}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W_]+")
# Capitalized words that are not names, in either language.
# (Sentence openers too: a translation starts "Meanwhile," where the article says "Sementara
# itu,".)
_NOT_NAMES = STOPWORDS_EN | STOPWORDS_ID | {
    "however", "according", "namun", "menurut", "meanwhile", "moreover", "furthermore",
    "additionally", "therefore", "thus", "while", "although", "since", "instead", "besides",
    "sementara", "selain", "kemudian", "menariknya", "misalnya", "interestingly", "including",
}  # fmt: skip
# English name forms of words the articles spell otherwise: Chinese/Cina, Russian/Rusia.
_SUFFIXES = ("", "n", "s", "ese", "ian", "an")


# Who is acted upon: "<Name> tunduk pada / dikenai / is subject to ..." in a cited sentence.
_PATIENT = re.compile(
    r"\b([A-Z][\w-]*)\s+(?:(?:is|are|was|were|has been|have been|had been|telah|sudah|juga)\s+)?"
    r"(?:tunduk\s+(?:pada|kepada)|dikenai|dikenakan|terkena|dijatuhi|mendapat(?:kan)?\s+sanksi|"
    r"subject(?:ed)?\s+to|under|hit\s+by|targeted\s+by|facing|faces?|dibatasi|dilarang|"
    r"limited|restricted|banned|sanctioned)\b"
)
# Who acts: "<Name> applies / imposes / menerapkan ..." in a generated sentence.
_AGENT = re.compile(
    r"\b([A-Z][\w-]*)\s+(?:(?:has|have|had|telah|sudah|akan|will)\s+)?"  # not is/was: passive
    r"(?:appl(?:y|ies|ied)|impos(?:e|es|ed)|enforc(?:e|es|ed)|plac(?:e|es|ed)|"
    r"set(?:s)?|limit(?:s|ed)?|restrict(?:s|ed)?|ban(?:s|ned)?|sanction(?:s|ed)?|"
    r"menerapkan|memberlakukan|mengenakan|menjatuhkan|membatasi|melarang)\b"
)


def reversed_roles(sentence: str, evidence: str) -> str | None:
    """A name the evidence says is acted upon but the sentence makes the actor, if any (a
    cheap signal for "China applies chip limits" from "China tunduk pada pembatasan")."""
    patients = {m.lower() for m in _PATIENT.findall(evidence)}
    agents_in_evidence = {m.lower() for m in _AGENT.findall(evidence)}
    for match in _AGENT.finditer(sentence):
        name = match.group(1)
        key = name.lower()
        if key not in agents_in_evidence and _matches(key, patients):
            return name
    return None


_COMPOUND_ID = re.compile(
    r"\b(dua|tiga|empat|lima|enam|tujuh|delapan|sembilan)\s+(puluh|belas|ratus|ribu)\b"
)
_SCALE_ID = {"puluh": (10, 0), "belas": (1, 10), "ratus": (100, 0), "ribu": (1000, 0)}
_TENS_EN = re.compile(
    r"\b(?:(thir|four|fif|six|seven|eigh|nine)teen|(twen|thir|for|fif|six|seven|eigh|nine)ty)\b"
)
_STEMS_EN = {"twen": 2, "thir": 3, "four": 4, "for": 4, "fif": 5, "six": 6, "seven": 7,
             "eigh": 8, "nine": 9}  # fmt: skip


def _spelled(text: str) -> str:
    """Compound number words as digits: "tiga puluh" and "thirty" are 30, "dua belas" 12."""

    def indonesian(m: re.Match[str]) -> str:
        times, plus = _SCALE_ID[m.group(2)]
        return str(int(NUMBER_WORDS[m.group(1)]) * times + plus)

    def english(m: re.Match[str]) -> str:
        teen, ty = m.groups()
        return str(10 + _STEMS_EN[teen]) if teen else str(10 * _STEMS_EN[ty])

    return _TENS_EN.sub(english, _COMPOUND_ID.sub(indonesian, text.lower()))


def numbers(text: str, soft: bool = False) -> set[str]:
    """The numbers `text` states, in digits; `soft`: also those its words may mean (for
    evidence: "kedua negara" supports "the two countries")."""
    text = _spelled(text)
    found = {re.sub(r"[.,]", "", n).lstrip("0") or "0" for n in _NUMBER.findall(text)}
    table = {**NUMBER_WORDS, **SOFT_NUMBER_WORDS} if soft else NUMBER_WORDS
    found |= {table[w] for w in _WORD.findall(text) if w in table}  # lower-cased above
    return found


def names(text: str) -> set[str]:
    """Capitalized words that are not stopwords, and codes mixing letters and digits."""
    out = set()
    for tok in _WORD.findall(text):
        code = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
        capital = tok[0].isupper() and tok.lower() not in _NOT_NAMES
        if code or capital:
            out.add(tok.lower())
    return out


# difflib ratio at which two spellings are one word across the languages ("Russian"/"Rusia",
# "hypersonic"/"hipersonik" once `rag.translate` folds their spelling)
SPELLING_RATIO = 0.75


def _matches(name: str, vocabulary: set[str]) -> bool:
    """Exact, or close in spelling after dropping an English name suffix."""
    if name in vocabulary:
        return True
    stems = {
        name[: len(name) - len(s)] for s in _SUFFIXES if name.endswith(s) and len(name) > len(s) + 2
    }
    return any(
        abs(len(stem) - len(w)) <= 2 and SequenceMatcher(None, stem, w).ratio() >= SPELLING_RATIO
        for stem in stems
        for w in vocabulary
    )


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str  # why not, or "ok"
    similarity: float


class SupportChecker:
    """Is a sentence supported by the cited passages? (numbers, names, meaning)."""

    def __init__(
        self,
        embeddings: ModelEmbeddings,
        min_similarity: float,  # Settings.support_threshold
        cache: EmbeddingCache | None = None,
    ) -> None:
        """`cache`: share the answer stage's, so retrieved sentences are not embedded again."""
        self.embeddings = embeddings
        self.min_similarity = min_similarity
        self.cache = cache or EmbeddingCache(embeddings)

    def check(
        self, sentence: str, cited: list[str], *, context: str = "", check_names: bool = True
    ) -> Verdict:
        """Is `sentence` supported by `cited`? Numbers and names of `context` (the question:
        the asker said them) are allowed too. `check_names=False` skips the names test (a
        translation may rightly name "Tiongkok" China and "PBB" the UN)."""
        if not cited:
            return Verdict(False, "cites no passage", 0.0)
        evidence = " ".join(cited)
        missing_numbers = numbers(sentence) - numbers(evidence, True) - numbers(context, True)
        if missing_numbers:
            return Verdict(
                False, f"number {sorted(missing_numbers)[0]} is not in the cited text", 0.0
            )
        if check_names:
            vocabulary = {w.lower() for w in _WORD.findall(f"{evidence} {context}")}
            missing = sorted(n for n in names(sentence) if not _matches(n, vocabulary))
            if missing:
                return Verdict(False, f"{missing[0]!r} is not in the cited text", 0.0)
        if actor := reversed_roles(sentence, evidence):
            return Verdict(
                False, f"reverses who acts: the cited text says {actor} is acted on", 0.0
            )
        vectors = self.cache([sentence, *cited])
        sims = vectors[1:] @ vectors[0]
        best = float(np.max(sims))
        if best < self.min_similarity:
            return Verdict(False, f"meaning too far from the cited text ({best:.2f})", best)
        return Verdict(True, "ok", best)
