"""Complete answers: a generated answer that leaves out a fact of a sentence it cites gets
that sentence itself, quoted, or, for an asker of another language, in its checked
translation.

The facts of a cited sentence are its numbers, codes, names and the items of a list it gives
("kecerdasan buatan, internet of things, 5G, ..."), less those the question already says. A
small model drops them (Moscow from "a three-day visit to Moscow") or swaps one for a word of
its own ("high-power weapons" for "senjata hipersonik"); the support checker cannot see
either, as the rest of the sentence still means what the source means. Across languages the
facts are first compared cheaply (numbers, codes, names spelled alike); only a possible gap
asks for the sentence's translation (the same one its citation shows, so cached), and the
answer is compared again in its own language. A sentence whose list has an item its source
does not is replaced by the source; one that only leaves something out is followed by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer_types import expected_type
from rag.checker import _NOT_NAMES, _matches, numbers
from rag.chunks import split_sentences
from rag.schema import Citation
from rag.text import STOPWORDS_EN, STOPWORDS_ID, detect_language, identifiers, words
from rag.translate import Translator
from rag.verify import Checked

# Capitalized words that name a role, not someone: "President Putin" is about Putin.
TITLES = frozenset(
    """presiden president menteri minister perdana prime wakil vice ketua chairman chair
    direktur director ceo raja king ratu queen gubernur governor jenderal general bapak ibu
    mr mrs ms dr prof sir""".split()
)
# Where a list starts ("industries such as A, B and C") and what ends one ("and the like").
_CUE = re.compile(
    r"\b(?:such as|including|like|namely|seperti|termasuk|yaitu|yakni|antara lain|misalnya|"
    r"di antaranya)\b|:",
    re.IGNORECASE,
)
_AND = re.compile(r"\s+(?:and|or|dan|atau|serta|maupun)\s+", re.IGNORECASE)
_VAGUE = frozenset(
    """other others similar etc so forth lainnya lain sejenisnya dll dsb sebagainya more
    areas fields things like hal""".split()
)
_WORD = re.compile(r"[^\W_]+")
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\(\d[^)]*\)")
ITEM_WORDS = 3  # content words of a list item: a longer part is a clause, not an item
ITEM_LAST = 5  # the last item may run on ("dan flash NAND 3D 128 lapis")


def _content(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS_EN and w not in STOPWORDS_ID]


def list_items(sentence: str) -> list[list[str]]:
    """The items of the list a sentence ends with ("..., seperti A, B, dan C"), each as its
    content words; empty when it gives none (three items at least, split by commas)."""
    segments = sentence.strip().rstrip(".!?").split(",")
    if len(segments) < 2:
        return []
    parts = [p for p in [*segments[:-1], *_AND.split(segments[-1])] if p.strip()]
    items: list[list[str]] = []
    for part in reversed(parts):  # the list runs back from the end while its items are short
        cue = ([None, *_CUE.finditer(part)])[-1]  # the last cue: "such as A, including B"
        content = _content(part[cue.end() :]) if cue else []
        if not content:  # "and the like" ends a list, it does not start one
            cue, content = None, _content(part)
        if not content or len(content) > (ITEM_LAST if not items else ITEM_WORDS):
            if len(items) == 2:  # "... menjadi mahir dalam A, B, dan C": A ends a clause
                items.append(content[-2:])
            break
        items.append(content)
        if cue:
            break
    items = [item for item in reversed(items) if not set(item) <= _VAGUE]
    return items if len(items) >= 3 else []


def _names(text: str) -> set[str]:
    """Capitalized words past the sentence's first, and codes: what a reader would look for."""
    out = set()
    for i, tok in enumerate(_WORD.findall(text)):
        key = tok.lower()
        code = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
        if code or (i and tok[0].isupper() and key not in _NOT_NAMES and key not in TITLES):
            out.add(key)
    return out


def _has(item: list[str], vocab: set[str], cross: bool) -> bool:
    """Whether the answer's words `vocab` say a list item: all its words, or across
    languages any one spelled alike ("superkomputer" / "supercomputers")."""
    found = [w in vocab or _matches(w, vocab) for w in item]
    return any(found) if cross else all(found)


def gaps(question: str, source: str, answer: str, cross: bool = False) -> list[str]:
    """The facts of `source` (a cited sentence) that neither `answer` nor `question` says.
    With `cross` (another language than the answer's), only what would show across
    languages: a possible gap, to be confirmed against a translation."""
    said = set(words(answer)) | set(words(question))
    if expected_type(question) != "time":  # a dateline is rarely what was asked
        source = _DATE.sub(" ", source)
    missing = sorted(numbers(source) - numbers(answer, True) - numbers(question, True))
    missing += sorted(identifiers(source) - said)
    missing += sorted(n for n in _names(source) - said if not _matches(n, said))
    missing += [" ".join(it) for it in list_items(source) if not _has(it, said, cross)]
    return list(dict.fromkeys(missing))


def extra_items(sentence: str, source: str) -> list[str]:
    """Items of the list `sentence` gives that the list of `source` (same language) lacks."""
    vocab = set(words(source))
    return [" ".join(it) for it in list_items(sentence) if not _has(it, vocab, False)]


@dataclass
class Completed:
    checked: Checked
    added: list[str]  # the facts that made a cited sentence join the answer


class Completer:
    """Adds to an answer the cited sentences whose facts it leaves out; `translator` renders
    them for an asker of another language (None: cross-language sentences are left)."""

    def __init__(self, translator: Translator | None) -> None:
        self.translator = translator

    def complete(self, question: str, checked: Checked, lang: str) -> Completed:
        said = " ".join(s for s, _ in checked.kept)
        kept: list[tuple[str, list[Citation]]] = []
        added: list[str] = []
        seen: set[tuple[str, int, int]] = set()
        for sentence, cited in checked.kept:
            after: list[tuple[str, list[Citation]]] = []
            for i, c in enumerate(cited):
                key = (c.doc_id, c.char_start, c.char_end)
                if key in seen or len(split_sentences(c.quote)) > 1:
                    continue
                seen.add(key)
                found = self._source(question, c, said, lang)
                if found is None:
                    continue
                source, c, missing = found
                cited = [*cited[:i], c, *cited[i + 1 :]]
                added += missing
                said += " " + source
                if extra_items(sentence, source):
                    sentence = source  # it listed something its source does not
                elif source != sentence:
                    after.append((source, [c]))
            kept += [(sentence, cited), *after]
        return Completed(Checked(kept, checked.dropped), added)

    def _source(
        self, question: str, c: Citation, said: str, lang: str
    ) -> tuple[str, Citation, list[str]] | None:
        """(the cited sentence in the answer's language, its citation, the facts the answer
        lacks), or None when it lacks none or the sentence has no checked translation."""
        cross = detect_language(c.quote) != lang
        missing = gaps(question, c.quote, said, cross=cross)
        if not missing:
            return None
        if not cross:
            return c.quote, c, missing
        if self.translator is None:
            return None
        c = self.translator.cite(c, lang)
        if c.translation is None:
            return None
        missing = gaps(question, c.translation, said)
        return (c.translation, c, missing) if missing else None
