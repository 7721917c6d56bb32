"""Complete answers: a generated answer that leaves out what a sentence it cites says of
what was asked gets that sentence itself, quoted, or, for an asker of another language, in its
checked translation; a sentence that lists an item its source does not is replaced by it.

What was asked, of a cited sentence: the items of a list the answer gives part of
("kecerdasan buatan, internet of things, 5G, ..."); its numbers, for a question of how many,
how long, how much or when; its names, for one of who or where (a name is a run of
capitalized words: "Chinese President Xi Jinping" is said by "Xi Jinping"). A small model
drops such facts (Moscow from "a three-day visit to Moscow") or swaps one for a word of its
own ("manufacturing" for "kecerdasan buatan"), and the support checker cannot see either: the
rest of the sentence still means what the source means. Across languages the facts are first
compared cheaply (numbers, names and list items spelled alike); a possible gap, or a list in
the answer, asks for the sentence's translation (the one its citation shows, so cached), and
the answer is compared again in its own language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.answer_types import expected_type, list_items
from rag.answerable import WORD
from rag.checker import _NOT_NAMES, _matches, numbers
from rag.chunks import split_sentences
from rag.drafts import DATELINE
from rag.schema import Citation
from rag.text import detect_language, keyword_tokens, words
from rag.translate import Translator
from rag.verify import Checked

# Capitalized words that are not names: roles ("President Putin" is about Putin), dates.
NOT_NAMES_TOO = frozenset(
    """presiden president menteri minister perdana prime wakil vice ketua chairman chair
    direktur director ceo raja king ratu queen gubernur governor jenderal general bapak ibu
    mr mrs ms dr prof sir""".split()
) | frozenset(  # days and months are capitalized, but they are dates, not names
    """senin selasa rabu kamis jumat sabtu minggu monday tuesday wednesday thursday friday
    saturday sunday januari februari maret april mei juni juli agustus september oktober
    november desember january february march may june july august october december""".split()
)
_HOW_MANY = re.compile(r"\b(?:berapa|how (?:many|much|long|old|far))\b", re.IGNORECASE)
_WHO_WHERE = re.compile(
    r"\b(?:who|whom|whose|where|siapa\w*|di ?mana|ke ?mana|dari ?mana|(?:kota|negara|provinsi|"
    r"tempat|media)\s+(?:mana|apa)|(?:which|what)\s+(?:city|country|province|place|town))\b",
    re.IGNORECASE,
)
# a question for a title ("What is the document called?"), and the quoted title it asks for
# (a quotation mark that opens after a space, one that closes before one: "People's" is inside)
_TITLE = re.compile(
    r"\b(?:title|titled|called|named|judul\w*|berjudul|bernama|nama\s+(?:dokumen|buku|film|lagu|"
    r"program|acara|perjanjian|undang-undang|peraturan))\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(
    r"(?:^|(?<=\s))[\u2018\u201c\"']([^\u2018\u201c\"]{12,}?)[\u2019\u201d\"'](?=[\s.,;:!?]|$)"
)
NOTE = "rewritten: the cited sentence"  # how a completed answer's notes begin
NEAR = 4  # words between a name and what the answer took from its sentence, to be asked
SHORT = 5  # content words of a cited sentence that is one fact: all of them are the answer


def _name_runs(text: str) -> list[tuple[int, list[str]]]:
    """Runs of capitalized words and codes ("Presiden Cina Xi Jinping", "Ad Hoc PBB"), past
    the sentence's first word, lower-cased, with the index of their first word: one name each."""
    runs: list[tuple[int, list[str]]] = []
    end, open_run = 0, False
    for i, match in enumerate(WORD.finditer(text)):
        tok, key = match.group(), match.group().lower()
        code = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
        if code or (i and tok[0].isupper() and key not in _NOT_NAMES):
            if open_run and not text[end : match.start()].strip():
                runs[-1][1].append(key)  # only spaces between: the same name
            else:
                runs.append((i, [key]))
            open_run = True
        else:
            open_run = False
        end = match.end()
    return [(i, run) for i, run in runs if set(run) - NOT_NAMES_TOO]


def _has(item: list[str], vocab: set[str], cross: bool) -> bool:
    """Whether the answer's words `vocab` say a list item: all its words, or across
    languages any one spelled alike ("superkomputer" / "supercomputers")."""
    found = [w in vocab or _matches(w, vocab) for w in item]
    return any(found) if cross else all(found)


def gaps(
    question: str,
    source: str,
    answer: str,
    cross: bool = False,
    stem: Callable[[str], str] | None = None,
) -> list[str]:
    """What `source` (a cited sentence) says of what the question asks that neither `answer`
    nor `question` says: the items of a list the answer gives part of; the numbers, for a
    question of how many, how long, how much or when; the names, for one of who or where;
    of a short sentence, every content word (by `stem`: "menguasai" says "penguasaan"); of
    a quoted title, for a question asking for one, every word.
    With `cross` (another language than the answer's), only what would show across
    languages: a possible gap, to be confirmed against a translation."""
    told = set(words(answer))
    said = told | set(words(question))
    kind = expected_type(question)
    if kind != "time":  # a dateline is rarely what was asked
        source = DATELINE.sub(" ", source)
    items = list_items(source)
    begun = any(_has(item, told, True) for item in items)  # the answer gives part of the list
    missing = [" ".join(item) for item in items if begun and not _has(item, said, cross)]
    if kind is not None or _HOW_MANY.search(question):
        missing += sorted(numbers(source) - numbers(answer, True) - numbers(question, True))
    if _WHO_WHERE.search(question):
        # a name near what the answer took from the source ("tiga hari Presiden Jinping ke
        # Moskow"), not one of another clause of it
        tokens = [t.lower() for t in WORD.findall(source)]
        anchors = [i for i, t in enumerate(tokens) if t in told and t not in _NOT_NAMES]
        for start, run in _name_runs(source):
            if any(w in said or _matches(w, said) for w in set(run) - NOT_NAMES_TOO):
                continue
            if cross or any(-NEAR <= a - start <= len(run) + NEAR - 1 for a in anchors):
                missing.append(" ".join(run))
    if _TITLE.search(question):  # a title is said whole: each of its words
        for title in _QUOTED.findall(source):
            lost = [w for w in keyword_tokens(title) if w not in said and not _matches(w, said)]
            if cross or lost:  # across languages, what it lost shows in the translation
                missing.append(" ".join(lost) if not cross else title)
    content = keyword_tokens(source)
    if not cross and len(content) <= SHORT:  # "Penguasaan teknologi adalah kunci ...": not
        norm = stem or str  # "kunci keberlanjutan adalah teknologi"
        have = {norm(w) for w in said}
        missing += [w for w in content if norm(w) not in have]
    return list(dict.fromkeys(missing))


def extra_items(sentence: str, source: str) -> list[str]:
    """Items of the list `sentence` gives that the list of `source` (same language) lacks."""
    vocab = set(words(source))
    return [" ".join(it) for it in list_items(sentence) if not _has(it, vocab, False)]


_OPEN, _CLOSE = '\u201c\u2018"', '\u201d\u2019"'


def _unquoted(sentence: str) -> str:
    """A quoted sentence as an answer sentence: without a quotation mark it does not close
    (the article's quotation runs on) or a closing one it did not open."""
    text = sentence.strip()
    if text[:1] in _OPEN and not any(c in text[1:] for c in _CLOSE):
        text = text[1:]
    if text.rstrip(".")[-1:] in _CLOSE and not any(c in text[:-2] for c in _OPEN):
        text = text.rstrip(".")[:-1].rstrip().rstrip(".") + "."
    return text


@dataclass
class Completed:
    checked: Checked
    added: list[str]  # the facts that made a cited sentence join the answer
    replaced: list[str]  # listed items the cited sentence does not have


class Completer:
    """Adds to an answer the cited sentences whose facts it leaves out; `translator` renders
    them for an asker of another language (None: cross-language sentences are left)."""

    def __init__(
        self, translator: Translator | None, stem: Callable[[str], str] | None = None
    ) -> None:
        self.translator = translator
        self.stem = stem  # Indonesian stemming, for the words of a short sentence

    def complete(self, question: str, checked: Checked, lang: str) -> Completed:
        """`checked` with each kept sentence followed, or replaced, by the cited sentence
        whose asked-for facts it leaves out or changes (see the module's docstring)."""
        said = " ".join(s for s, _ in checked.kept)
        kept: list[tuple[str, list[Citation]]] = []
        added: list[str] = []
        replaced: list[str] = []
        seen: set[tuple[str, int, int]] = set()
        for sentence, cited in checked.kept:
            after: list[tuple[str, list[Citation]]] = []
            for i, c in enumerate(cited):
                key = (c.doc_id, c.char_start, c.char_end)
                if key in seen or len(split_sentences(c.quote)) > 1:
                    continue
                seen.add(key)
                cross = detect_language(c.quote) != lang
                items = list_items(sentence)
                # a list as long as the cited sentence's may be that list, garbled
                listed = bool(items) and (len(cited) == 1 or len(items) == len(list_items(c.quote)))
                if not listed and not gaps(question, c.quote, said, cross, self.stem):
                    continue
                found = self._in_language(c, lang) if cross else (c.quote, c)
                if found is None:
                    continue
                source, c = found
                cited = [*cited[:i], c, *cited[i + 1 :]]
                extra = extra_items(sentence, source) if listed else []
                missing = gaps(question, source, said, stem=self.stem)
                if extra:  # it listed something its source does not: the source instead
                    sentence, cited = _unquoted(source), [c]
                    replaced += extra
                    said += " " + source
                    break
                elif missing and source != sentence:
                    after.append((_unquoted(source), [c]))
                    added += missing
                    said += " " + source
            kept += [(sentence, cited), *after]
        return Completed(Checked(kept, checked.dropped), added, replaced)

    def _in_language(self, c: Citation, lang: str) -> tuple[str, Citation] | None:
        """The cited sentence's checked translation for an asker of `lang`, and the citation
        carrying it; None without one."""
        if self.translator is None:
            return None
        c = self.translator.cite(c, lang)
        return (c.translation, c) if c.translation else None
