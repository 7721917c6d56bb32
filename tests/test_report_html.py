"""Tests for the offline HTML report of `rag eval`."""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from evals.report_html import render_html

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
HOSTILE = "<script>alert(1)</script> apa kabar?"


def _row(qid: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "qid": qid,
        "question": f"Pertanyaan {qid}?",
        "lang": "id",
        "answerable": True,
        "relevant": [f"doc-{qid}"],
        "retrieved": [f"doc-{qid}", "doc-x", "doc-y", "doc-z"],
        "answer": f"Jawaban {qid}.",
        "abstained": False,
        "citations": [{"n": 1, "doc_id": f"doc-{qid}", "quote": "kutipan", "score": 0.9}],
        "recall@5": 1.0,
        "rr@10": 1.0,
        "f1": 1.0,
        "em": 1.0,
        "supported": True,
        "latency_ms": 800.0,
    }
    base.update(kw)
    return base


@pytest.fixture
def report() -> dict[str, Any]:
    return {
        "dataset": "gold <id>",
        "summary": {
            "recall@1": 0.5,
            "recall@5": 0.75,
            "recall@10": 0.8,
            "mrr@10": 0.61,
            "ndcg@10": 0.66,
            "answer_exact_match": 0.2,
            "answer_f1": 0.55,
            "answer_supported": 0.7,
            "citation_precision": 0.9,
            "abstain_precision": None,
            "abstain_recall": math.nan,
            "latency_p50_ms": 900.0,
            "latency_p95_ms": 2400.0,
            "n_questions": 6,
        },
        "recall_curve": {str(k): min(1.0, 0.4 + 0.05 * k) for k in range(1, 11)},
        "settings": {"retriever": "hybrid", "llm": "qwen <b>", "top_k": 10, "mmr": {"l": 0.5}},
    }


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    return [
        _row("perfect"),
        _row(
            "hostile",
            question=HOSTILE,
            answer='"quoted" & <b>bold</b>',
            retrieved=["doc-x", "doc-y", "doc-z", "doc-w", "doc-v", "doc-hostile"],
            **{"recall@5": 0.0, "rr@10": 1 / 6},
        ),
        _row("miss", retrieved=["doc-a", "doc-b", "doc-c"], **{"recall@5": 0.0, "rr@10": 0.0}),
        _row("late", supported=False, f1=0.3, latency_ms=3000.0, **{"recall@5": 1.0, "rr@10": 0.5}),
        _row(
            "unans-answered",
            answerable=False,
            relevant=[],
            citations=[{"n": 1, "doc_id": "d", "quote": '<img src=x onerror="a()">', "score": 0.1}],
        ),
        _row("unans-ok", answerable=False, relevant=[], abstained=True, answer=""),
    ]


class _Collector(HTMLParser):
    """Checks tag balance and collects tables, svgs and confusion cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.svgs = 0
        self.cells: dict[tuple[str, str], str] = {}
        self.bars: list[int] = []
        self.classes: list[str] = []
        self.attr_names: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: tuple[str, str] | None = None
        self._td: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.classes.append(a.get("class") or "")
        self.attr_names += a
        if tag == "svg":
            self.svgs += 1
        if tag == "rect" and "data-count" in a:
            self.bars.append(int(a["data-count"] or 0))
        if tag == "g" and a.get("class") == "cell":
            self._cell = (a["data-truth"] or "", a["data-action"] or "")
            self.cells[self._cell] = ""
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th"):
            self._td = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.classes.append(dict(attrs).get("class") or "")
        self.attr_names += dict(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()
        if tag == "g":
            self._cell = None
        if tag == "table":
            self._table = None
        if tag in ("td", "th") and self._td is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._td).strip())
            self._td = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.cells[self._cell] += data.strip()
        if self._td is not None:
            self._td.append(data)


def _parse(page: str) -> _Collector:
    p = _Collector()
    p.feed(page)
    p.close()
    assert p.errors == [], p.errors
    assert p.stack == [], f"unclosed tags: {p.stack}"
    return p


def test_complete_document(report: dict, rows: list[dict]) -> None:
    page = render_html(report, rows)
    assert page.lstrip().lower().startswith("<!doctype html>")
    for part in ("<html", "<head>", '<meta charset="utf-8">', "<title>", "<body>", "</html>"):
        assert part in page
    assert "gold &lt;id&gt;" in page and "6 questions" in page
    settings = _parse(page).tables["settings"]
    assert ["retriever", "hybrid"] in settings and ["llm", "qwen <b>"] in settings
    assert ["mmr", '{"l": 0.5}'] in settings


def test_nothing_external(report: dict, rows: list[dict]) -> None:
    page = render_html(report, rows)
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.I)
    # the only "src=" is the escaped text of the hostile citation quote, never an attribute
    assert len(re.findall(r"src=", page)) == page.count("&lt;img src=") == 1
    assert "href=" not in page
    p = _parse(page)
    assert not [a for a in p.attr_names if a in {"src", "href", "srcset", "xmlns", "action"}]
    assert "url(" not in page and "@import" not in page and "//cdn" not in page


def test_hostile_text_is_escaped(report: dict, rows: list[dict]) -> None:
    page = render_html(report, rows)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<b>bold" not in page and "&lt;b&gt;bold" in page
    assert "<b>" not in page  # from the `llm` setting too
    assert "<img" not in page  # citation quote lands in a title attribute, escaped
    assert "&lt;img src=x onerror=&quot;a()&quot;&gt;" in page


def test_three_plots_and_well_formed(report: dict, rows: list[dict]) -> None:
    page = render_html(report, rows)
    p = _parse(page)
    assert p.svgs >= 3 and page.count("<svg") == p.svgs
    assert p.classes.count("pt") == 10  # one point per k
    assert sum(p.bars) == len(rows) and len(p.bars) == 20
    assert "p50" in p.classes and "p95" in p.classes
    assert "recall@k" in page and "latency (ms)" in page


def test_worst_questions_order_and_content(report: dict, rows: list[dict]) -> None:
    worst = _parse(render_html(report, rows)).tables["worst"]
    header, body = worst[0], worst[1:]
    assert header == ["qid", "question", "expected", "retrieved (top 3)", "answer", "reason"]
    qids = [r[0] for r in body]
    assert "perfect" not in qids and "unans-ok" not in qids
    assert "unans-answered" in qids and "miss" in qids and "late" in qids
    assert qids.index("miss") < qids.index("hostile") < qids.index("late")  # rr@10 ascending
    assert body[qids.index("hostile")][1] == HOSTILE  # shown as text
    miss = body[qids.index("miss")]
    assert miss[2] == "doc-miss" and miss[3] == "doc-a, doc-b, doc-c"
    assert "top 5" in miss[5]
    assert "unanswerable" in body[qids.index("unans-answered")][5]
    assert "not supported" in body[qids.index("late")][5]


def test_worst_table_caps_rows_and_truncates_answers(report: dict) -> None:
    many = [
        _row(f"m{i:02d}", answer="x" * 500, **{"recall@5": 0.0, "rr@10": i / 100})
        for i in range(30)
    ]
    body = _parse(render_html(report, many)).tables["worst"][1:]
    assert len(body) == 20
    assert [r[0] for r in body] == [f"m{i:02d}" for i in range(20)]
    answer_text = body[0][4].split("[")[0]  # citations follow the answer
    assert 150 <= len(answer_text) <= 201 and answer_text.endswith("…")


def test_missing_metrics_show_a_dash(report: dict, rows: list[dict]) -> None:
    table = _parse(render_html(report, rows)).tables["summary"]
    summary = {r[0]: r[1] for r in table if len(r) == 2}
    assert summary["abstain_recall"] == "–"  # NaN
    assert summary["abstain_precision"] == "–"  # None
    assert summary["recall@5"] == "0.750"
    assert summary["latency_p95_ms"] == "2,400 ms"
    assert not any("nan" in v.lower() or "none" in v.lower() for v in summary.values())


def test_confusion_counts_match_rows(report: dict, rows: list[dict]) -> None:
    cells = _parse(render_html(report, rows)).cells
    expected = {
        ("answerable", "answered"): sum(r["answerable"] and not r["abstained"] for r in rows),
        ("answerable", "abstained"): sum(r["answerable"] and r["abstained"] for r in rows),
        ("unanswerable", "answered"): sum(not r["answerable"] and not r["abstained"] for r in rows),
        ("unanswerable", "abstained"): sum(not r["answerable"] and r["abstained"] for r in rows),
    }
    assert expected == {
        ("answerable", "answered"): 4,
        ("answerable", "abstained"): 0,
        ("unanswerable", "answered"): 1,
        ("unanswerable", "abstained"): 1,
    }
    assert {k: int(v) for k, v in cells.items()} == expected


@pytest.mark.parametrize("rep", [None, {}, {"dataset": "kosong", "summary": {}, "settings": {}}])
def test_empty_rows_render(report: dict, rep: dict | None) -> None:
    for r in (report, rep):
        page = render_html(r, [])
        p = _parse(page)
        assert p.svgs == 3
        assert page.count("no data") >= 2  # latency and confusion; recall too when no curve
        assert "http" not in page


def test_degenerate_latencies_and_nan_rows(report: dict) -> None:
    rows = [_row("a", latency_ms=500.0), _row("b", latency_ms=math.nan), _row("c", latency_ms=500)]
    report["summary"]["latency_p50_ms"] = None
    p = _parse(render_html(report, rows))
    assert sum(p.bars) == 2
    assert "p50" not in p.classes and "p95" in p.classes
