"""What the page shows, as HTML and Markdown strings: answer bubbles, the sources panel, the
status line and the library table. Pure functions over `rag`'s public API."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from rag import MACHINE, Answer, Citation, RagService, Stage

log = logging.getLogger(__name__)

# the written text is sent at most this often while an answer is written (the chat's bubble,
# the API's text events): a reader sees no difference, and twenty readers cost much less
REFRESH_S = 0.1

OOPS = "⚠️ Something went wrong; the error was logged."
_CITE = re.compile(r"\[(\d+)\]")
REWRITTEN = "rewritten:"  # a note on how the answer was written (kept in the JSON only)
SNIPPET = 160  # characters of a quote shown in the chat bubble (the panel has it whole)

# The few words the page says about an answer, in the answer's language.
WORDS = {
    "en": {
        "searching": "Searching the articles…",
        "next": "Waiting for the language model: your question is next…",
        "waiting": "Waiting for the language model: {ahead} question(s) before yours…",
        "reading": "Reading the passages…",
        "writing": "Writing the answer…",
        "checking": "Checking each sentence against the passages…",
        "evidence": "Found in the articles:",
        "sources": "Sources:",
        "related": "Related passages (they do not answer it):",
        "removed": "{n} unsupported sentence(s) removed.",
    },
    "id": {
        "searching": "Mencari di artikel…",
        "next": "Menunggu model bahasa: pertanyaan Anda berikutnya…",
        "waiting": "Menunggu model bahasa: {ahead} pertanyaan sebelum pertanyaan Anda…",
        "reading": "Membaca bagian artikel…",
        "writing": "Menulis jawaban…",
        "checking": "Memeriksa setiap kalimat dengan bagian artikel…",
        "evidence": "Ditemukan di artikel:",
        "sources": "Sumber:",
        "related": "Bagian artikel terkait (tidak menjawabnya):",
        "removed": "{n} kalimat tanpa dukungan dihapus.",
    },
}


# HTML's special characters and Markdown's, as character references, in one pass: the chat
# and the notes render Markdown, and what an article (or anyone) writes must stay text: no
# image, link, autolink or emphasis may come out of it. A newline is a <br>, so that a blank
# line can't end the HTML block it is in and let Markdown parse the rest.
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "\n": "<br>"}
    | {c: f"&#{ord(c)};" for c in "[]!*_`~#|\\:$"}
)


def escape(text: str) -> str:
    """`text` as inert HTML: escaped for HTML and for Markdown (see `_INERT`)."""
    return text.translate(_INERT)


def _linked(text: str, group: str) -> str:
    """Escaped `text` whose `[n]` markers link to the sources panel."""
    parts = _CITE.split(text)  # text, n, text, n, ..., text
    return "".join(
        escape(p) if i % 2 == 0 else _link(group, p, f"[{p}]") for i, p in enumerate(parts)
    )


def words_for(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def _link(group: str, n: str, label: str) -> str:
    return f'<a class="cite" href="#src-{group}-{n}" data-group="{group}" data-n="{n}">{label}</a>'


def _snippet(c: Citation) -> str:
    text = c.translation or c.quote
    if len(text) > SNIPPET:
        text = text[:SNIPPET].rsplit(" ", 1)[0] + "…"
    machine = f' <span class="mt">({escape(MACHINE["en"])})</span>' if c.translation else ""
    return f"“{escape(text)}”{machine}"


def by_article(citations: list[Citation]) -> list[list[Citation]]:
    """The citations grouped per article, in order of first citation."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.doc_id, []).append(c)
    return list(groups.values())


def _cited_list(citations: list[Citation], group: str, prefix: str = "", css: str = "cited") -> str:
    """One entry per article: its title, source and date, then each quoted sentence with its
    [n] (the related passages of an abstention: `prefix` "r")."""
    items = []
    for cs in by_article(citations):
        c = cs[0]
        date = f", {escape(c.published)}" if c.published else ""
        quotes = "".join(
            f"<li>{_link(group, f'{prefix}{q.n}', f'[{q.n}]')} {_snippet(q)}</li>" for q in cs
        )
        items.append(
            f'<li><span class="title">{escape(c.title)}</span> '
            f'<span class="meta">— {escape(c.source)}{date}</span><ul>{quotes}</ul></li>'
        )
    return f'<ol class="{css}">{"".join(items)}</ol>'


def render(answer: Answer, group: str) -> str:
    """The chat bubble: the answer with `[n]` links into the sources panel, then the cited
    articles, each once, with their quoted sentences. An abstention is short, in the
    question's language, with related passages only when there are any."""
    w = words_for(answer.language)
    text = escape(answer.answer)
    if answer.asks_back:
        out = f'<div class="answer asks-back"><p class="text">{text}</p>'
        return out + "</div>"
    if answer.abstained:
        out = f'<div class="answer abstained"><p class="text">{text}</p>'
        if answer.related:
            out += f'<p class="label">{escape(w["related"])}</p>'
            out += _cited_list(answer.related, group, "r", "related")
        return out + "</div>"
    out = '<div class="answer"><p class="text">'
    out += _linked(answer.answer, group) + "</p>"
    out += f'<p class="label">{escape(w["sources"])}</p>'  # where the evidence was listed
    out += _cited_list(answer.citations, group)
    if answer.dropped:
        out += f'<p class="dropped">{escape(w["removed"].format(n=len(answer.dropped)))}</p>'
    notes = [n for n in answer.notes if not n.startswith(REWRITTEN)]  # how, not what
    out += "".join(f'<p class="note">{escape(note)}</p>' for note in notes)
    return out + "</div>"


def render_progress(stage: Stage | None, preview: Answer | None, text: str, group: str) -> str:
    """The bubble while the answer is written: what is happening, the text so far, and the
    evidence already found (the same list the answer ends with, so nothing jumps)."""
    lang = preview.language if preview is not None else "en"
    w = words_for(lang)
    state = w["searching"] if stage is None else w.get(stage.name, "")
    if stage is not None and stage.name == "waiting":
        state = w["waiting"].format(ahead=stage.ahead) if stage.ahead else w["next"]
    out = '<div class="answer writing">'
    if text.strip():
        said = _linked(text, group)
        out += f'<p class="text">{said}</p>'
    if preview is not None and preview.citations:
        out += f'<p class="label">{escape(w["evidence"])}</p>'
        out += _cited_list(preview.citations, group)
    # last, so that nothing above it moves when it goes
    return out + f'<p class="state"><span class="dot"></span>{escape(state)}</p></div>'


def sources_group(service: RagService, answer: Answer, group: str) -> str:
    """The sources panel's part for one answer: each cited (or related) article once, with
    its quoted sentences highlighted in its text and their checked translations."""
    cited = [(c, str(c.n)) for c in answer.citations]
    if not answer.citations:
        cited = [(c, f"r{c.n}") for c in answer.related]
    blocks = [f'<div class="q">Sources for: {escape(answer.question)}</div>']
    for article in by_article([c for c, _ in cited]):
        ids = {id(c): n for c, n in cited}
        c = article[0]
        date = " · " + escape(c.published) if c.published else ""
        marks = "".join(
            f'<span class="n">{"related" if ids[id(q)].startswith("r") else f"[{q.n}]"}</span>'
            for q in article
        )
        translations = "".join(_translation(q, answer.language) for q in article)
        blocks.append(
            f'<div class="src" data-doc="{escape(c.doc_id)}">'
            f'<div class="hdr">{marks} <b>{escape(c.title)}</b></div>'
            f'<div class="meta">{escape(c.source)}{date} · {escape(c.doc_id)}{_origin(c)}</div>'
            f"{translations}"  # first: the reader needs it to read on
            f'<div class="ctx">{_context(service, article, ids, group)}</div></div>'
        )
    if not cited:
        blocks.append("<p>No passages.</p>")
    return f'<div class="group" data-group="{group}">{"".join(blocks)}</div>'


_WEB = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def _origin(c: Citation) -> str:
    """A link to the article's own page: http(s) only, opened without referrer or opener (the
    only link an article brings; nothing in its text becomes one)."""
    if not c.url or not _WEB.match(c.url):
        return ""
    href = html.escape(c.url, quote=True)
    attrs = 'target="_blank" rel="noopener noreferrer"'
    return f' · <a class="origin" href="{href}" {attrs}>page ↗</a>'


def _translation(c: Citation, lang: str) -> str:
    """The quote's checked machine translation, labelled as such (nothing without one)."""
    if not c.translation:
        return ""
    label = MACHINE.get(lang, MACHINE["en"])
    return (
        f'<div class="tr"><span class="lbl">[{c.n}] {escape(label)}</span> '
        f"{escape(c.translation)}</div>"
    )


MAX_GAP = 1200  # quotes of one article further apart than this are shown as separate excerpts


def _context(service: RagService, quotes: list[Citation], ids: dict[int, str], group: str) -> str:
    """The article's text around its quotes, each quote marked (id `src-<group>-<n>`)."""
    quotes = sorted(quotes, key=lambda c: c.char_start)
    runs: list[list[Citation]] = []
    for c in quotes:
        if runs and c.char_start - runs[-1][-1].char_end <= MAX_GAP:
            runs[-1].append(c)
        else:
            runs.append([c])
    parts = []
    for run in runs:
        start, end = run[0].char_start, max(c.char_end for c in run)
        try:
            before, middle, after = service.passage(run[0].doc_id, start, end)
        except Exception:  # the article may have been deleted since
            log.exception("no context for %s", run[0].doc_id)
            before, middle, after = "", " … ".join(c.quote for c in run), ""
            run = []  # offsets no longer apply
        out, pos = escape(before), start
        for c in run:
            if c.char_start < pos:  # overlapping quotes: mark the first
                continue
            out += escape(middle[pos - start : c.char_start - start])
            out += (
                f'<mark id="src-{group}-{ids[id(c)]}">'
                f"{escape(middle[c.char_start - start : c.char_end - start])}</mark>"
            )
            pos = c.char_end
        out += escape(middle[pos - start :]) + escape(after)
        parts.append(out)
    return '<span class="gap"> […] </span>'.join(parts)


def panel(groups: list[str], show: int = -1) -> str:
    """Every answer's sources, only the `show`n one visible (links switch between them)."""
    close = '<button class="close" type="button" aria-label="Close">×</button>'
    if not groups:
        return close + '<div class="empty">Click a citation [n] to see its passage here.</div>'
    shown = range(len(groups))[show]
    return close + "".join(
        g if i == shown else g.replace('class="group"', 'class="group" hidden', 1)
        for i, g in enumerate(groups)
    )


def status_text(service: RagService) -> str:
    """The status line, in words."""
    try:
        s = service.status()
    except Exception:
        log.exception("status failed")
        return "Index status unavailable."
    articles = f"{s.articles} article{'s' if s.articles != 1 else ''}"
    passages = f"{s.chunks} passage{'s' if s.chunks != 1 else ''}"
    return f"{articles} · {passages} · answers by {escape(s.writer)}"


def library_rows(service: RagService, query: str | None = "") -> list[list[Any]]:
    words = (query or "").lower().split()
    rows = []
    for a in service.articles():
        hay = f"{a.title} {a.source} {a.doc_id} {a.published}".lower()
        if all(w in hay for w in words):
            rows.append([a.title, a.source, a.published, a.chunks, a.doc_id])
    return rows
