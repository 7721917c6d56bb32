"""Render a `rag eval` report (report.json + questions.jsonl rows) as one offline HTML page.

Everything is inline: CSS in a <style> block, plots as SVG built from strings. No external
URLs, fonts or scripts. Every piece of text from the report or rows goes through `_e`.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

DASH = "–"
_GROUPS: list[tuple[str, list[str]]] = [
    ("Retrieval", ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]),
    (
        "Answers",
        [
            "answer_exact_match",
            "answer_f1",
            "answer_supported",
            "citation_precision",
            "answer_complete",
            "answer_language_match",
        ],
    ),
    (
        "Generated answers",
        [
            "checker_dropped_rate",
            "fallback_rate",
            "translations_shown",
            "translations_withheld",
            "translation_p50_ms",
        ],
    ),
    ("Abstention", ["abstain_precision", "abstain_recall", "answerable_refused"]),
    ("Latency", ["latency_p50_ms", "latency_p95_ms"]),
]
_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
background:#f7f8fa;margin:0}
main{max-width:1100px;margin:0 auto;padding:24px}
header{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:16px 20px}
h1{margin:0 0 4px;font-size:1.6em}h2{margin:28px 0 10px;font-size:1.25em}
.sub{color:#52606d}.chip{display:inline-block;background:#eef2f7;border-radius:12px;
padding:1px 10px;margin:2px 4px 2px 0;font-size:.9em}
table{border-collapse:collapse;background:#fff;border:1px solid #e1e4e8}
th,td{padding:5px 10px;border-bottom:1px solid #e1e4e8;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.group th{background:#e6ebf1}
.plots,.row{display:flex;flex-wrap:wrap;gap:16px 40px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:8px}
figcaption{font-weight:600;padding:0 4px 4px}
svg text{font:12px system-ui,sans-serif;fill:#334}
svg text.mark{fill:#dc2626;paint-order:stroke;stroke:#fff;stroke-width:3px}
#worst{width:100%;font-size:.92em}#worst td{word-break:break-word}
#worst td:first-child{white-space:nowrap}#worst td:nth-child(2){min-width:14em}
mark{background:#d9f2dc}.cite{color:#52606d;font-size:.85em}.reason{color:#b42318}
code{font-size:.9em}
"""


def _e(value: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> float | None:
    """A finite float, or None for None/NaN/inf/non-numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value: Any, ms: bool = False) -> str:
    """Format a metric: 3 decimals, milliseconds for latencies, an en dash when missing."""
    x = _num(value)
    if x is None:
        return DASH
    return f"{x:,.0f} ms" if ms else f"{x:.3f}"


def _tag(name: str, body: str, **attrs: Any) -> str:
    """An element with escaped attributes (trailing _ in names dropped, _ → -)."""
    a = "".join(f' {k.rstrip("_").replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f"<{name}{a}>{body}</{name}>"


def _svg(w: int, h: int, label: str, body: str) -> str:
    """An SVG element without xmlns (not needed inline in HTML, and it would be a URL)."""
    return _tag(
        "svg", body, width=w, height=h, viewBox=f"0 0 {w} {h}", role="img", aria_label=label
    )


def _no_data(w: int, h: int, label: str) -> str:
    return _svg(w, h, label, f'<text x="{w / 2}" y="{h / 2}" text-anchor="middle">no data</text>')


# --- plots -----------------------------------------------------------------------------------
W, H, ML, MR, MT, MB = 480, 280, 52, 16, 14, 44


def _axes(xlabel: str, ylabel: str) -> str:
    """Axis lines and axis labels for the common plot frame."""
    x0, y0, x1 = ML, H - MB, W - MR
    return (
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#334"/>'
        f'<line x1="{x0}" y1="{MT}" x2="{x0}" y2="{y0}" stroke="#334"/>'
        f'<text x="{(x0 + x1) / 2}" y="{H - 6}" text-anchor="middle">{_e(xlabel)}</text>'
        f'<text transform="translate(14 {(MT + y0) / 2}) rotate(-90)" '
        f'text-anchor="middle">{_e(ylabel)}</text>'
    )


def recall_svg(curve: dict[str, Any]) -> str:
    """Line plot of mean recall@k for k = 1..10, y from 0 to 1."""
    pts = sorted(
        (int(k), y)
        for k, raw in (curve or {}).items()
        if str(k).isdigit() and 1 <= int(k) <= 10 and (y := _num(raw)) is not None
    )
    if not pts:
        return _no_data(W, H, "recall@k curve")
    sx = lambda k: ML + (k - 1) * (W - ML - MR) / 9  # noqa: E731
    sy = lambda v: H - MB - max(0.0, min(1.0, v)) * (H - MB - MT)  # noqa: E731
    out = [_axes("k (top-k documents)", "mean recall@k")]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = sy(t)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">{t:.2f}</text>')
    for k in range(1, 11):
        out.append(f'<text x="{sx(k):.1f}" y="{H - MB + 16}" text-anchor="middle">{k}</text>')
    path = " ".join(f"{sx(k):.1f},{sy(v):.1f}" for k, v in pts)
    out.append(f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for k, v in pts:
        out.append(
            f'<circle class="pt" cx="{sx(k):.1f}" cy="{sy(v):.1f}" r="4" fill="#2563eb">'
            f"<title>recall@{k} = {v:.3f}</title></circle>"
        )
    return _svg(W, H, "recall@k curve", "".join(out))


def latency_svg(latencies: Sequence[float], p50: Any, p95: Any, bins: int = 20) -> str:
    """Histogram of latencies with dashed vertical lines at p50 and p95."""
    vals = [v for v in (_num(x) for x in latencies) if v is not None]
    if not vals:
        return _no_data(W, H, "latency histogram")
    marks = [(n, v) for n, v in (("p50", _num(p50)), ("p95", _num(p95))) if v is not None]
    lo = min([*vals, *(v for _, v in marks)])
    hi = max([*vals, *(v for _, v in marks)])
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in vals:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    top = max(counts)
    span = width * bins
    sx = lambda v: ML + (v - lo) / span * (W - ML - MR)  # noqa: E731
    sy = lambda c: H - MB - c / top * (H - MB - MT)  # noqa: E731
    out = [_axes("latency (ms)", "questions")]
    for c in sorted({0, top // 2, top}):
        out.append(f'<text x="{ML - 6}" y="{sy(c) + 4:.1f}" text-anchor="end">{c}</text>')
    for i in range(0, bins + 1, 5):
        v = lo + i * width
        out.append(f'<text x="{sx(v):.1f}" y="{H - MB + 16}" text-anchor="middle">{v:,.0f}</text>')
    for i, c in enumerate(counts):
        x0, x1 = sx(lo + i * width), sx(lo + (i + 1) * width)
        out.append(
            f'<rect class="bar" data-count="{c}" x="{x0 + 0.5:.1f}" y="{sy(c):.1f}" '
            f'width="{max(0.0, x1 - x0 - 1):.1f}" height="{H - MB - sy(c):.1f}" fill="#60a5fa">'
            f"<title>{lo + i * width:,.0f}–{lo + (i + 1) * width:,.0f} ms: {c}</title></rect>"
        )
    for j, (name, v) in enumerate(marks):
        x, right = sx(v), sx(v) > (W + ML) / 2  # label left of the line near the right edge
        out.append(
            f'<line class="{name}" x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{H - MB}" '
            f'stroke="#dc2626" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x - 4 if right else x + 4:.1f}" y="{MT + 12 + 14 * j}" '
            f'text-anchor="{"end" if right else "start"}" class="mark">'
            f"{name} {v:,.0f} ms</text>"
        )
    return _svg(W, H, "latency histogram", "".join(out))


def confusion_counts(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Counts of (answerable|unanswerable, answered|abstained) over rows."""
    counts = {(a, b): 0 for a in ("answerable", "unanswerable") for b in ("answered", "abstained")}
    for r in rows:
        key = (
            "answerable" if r.get("answerable", True) else "unanswerable",
            "abstained" if r.get("abstained") else "answered",
        )
        counts[key] += 1
    return counts


def confusion_svg(rows: Sequence[dict[str, Any]]) -> str:
    """2x2 heatmap: green on the diagonal (right call), red off it, shade ∝ count."""
    w, h, x0, y0, cw, ch = 360, 210, 110, 40, 110, 80
    if not rows:
        return _no_data(w, h, "abstention confusion")
    counts = confusion_counts(rows)
    top = max(counts.values()) or 1
    out = [
        f'<text x="{x0 + cw}" y="16" text-anchor="middle">system</text>',
        f'<text x="{x0 + cw / 2}" y="{y0 - 6}" text-anchor="middle">answered</text>',
        f'<text x="{x0 + cw * 1.5}" y="{y0 - 6}" text-anchor="middle">abstained</text>',
    ]
    for i, truth in enumerate(("answerable", "unanswerable")):
        out.append(
            f'<text x="{x0 - 8}" y="{y0 + ch * i + ch / 2 + 4}" text-anchor="end">{truth}</text>'
        )
        for j, act in enumerate(("answered", "abstained")):
            n = counts[(truth, act)]
            rgb = "22,163,74" if i == j else "220,38,38"
            x, y = x0 + cw * j, y0 + ch * i
            out.append(
                f'<g class="cell" data-truth="{truth}" data-action="{act}">'
                f'<rect x="{x}" y="{y}" width="{cw}" height="{ch}" stroke="#fff" '
                f'fill="rgba({rgb},{0.12 + 0.6 * n / top:.2f})"/>'
                f'<text x="{x + cw / 2}" y="{y + ch / 2 + 6}" text-anchor="middle" '
                f'style="font-size:18px;font-weight:600">{n}</text></g>'
            )
    return _svg(w, h, "abstention confusion", "".join(out))


# --- worst questions -------------------------------------------------------------------------
def _top5_recall(r: dict[str, Any]) -> float:
    """The row's recall@5, recomputed from ids when missing."""
    v = _num(r.get("recall@5"))
    if v is not None:
        return v
    rel = set(r.get("relevant") or [])
    top = list(dict.fromkeys(r.get("retrieved") or []))[:5]
    return len(rel & set(top)) / len(rel) if rel else 0.0


def worst_rows(rows: Sequence[dict[str, Any]], limit: int = 20) -> list[tuple[dict, str]]:
    """(row, reason) pairs, worst first: answered unanswerables, then answerables by rr@10, f1."""
    picked: list[tuple[tuple[float, ...], dict, str]] = []
    for r in rows:
        rr, f1 = _num(r.get("rr@10")) or 0.0, _num(r.get("f1")) or 0.0
        if not r.get("answerable", True):
            if not r.get("abstained"):
                picked.append(((0, 0.0, 0.0), r, "answered an unanswerable question"))
            continue
        reasons = []
        if (rec := _top5_recall(r)) < 1.0:
            reasons.append(f"relevant doc not in top 5 (recall@5 {rec:.2f})")
        if r.get("abstained"):
            reasons.append("abstained although answerable")
        elif not r.get("supported"):
            reasons.append("answer not supported")
        if reasons:
            picked.append(((1, rr, f1), r, "; ".join(reasons)))
    picked.sort(key=lambda t: t[0])
    return [(r, why) for _, r, why in picked[:limit]]


def _trunc(text: Any, n: int = 200) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def worst_table(rows: Sequence[dict[str, Any]]) -> str:
    """The worst-questions table (or a short note when nothing went wrong)."""
    worst = worst_rows(rows)
    if not worst:
        return '<p class="sub">No failing questions.</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in ("qid", "question", "expected", "retrieved (top 3)", "answer", "reason")
    )
    body = []
    for r, why in worst:
        rel = set(r.get("relevant") or [])
        top3 = list(dict.fromkeys(r.get("retrieved") or []))[:3]
        got = ", ".join(f"<mark>{_e(d)}</mark>" if d in rel else _e(d) for d in top3) or DASH
        ans = "<em>(abstained)</em>" if r.get("abstained") else _e(_trunc(r.get("answer")))
        cites = " ".join(
            _tag(
                "span",
                f"[{_e(c.get('n'))}] {_e(c.get('doc_id'))}",
                class_="cite",
                title=_trunc(c.get("quote")),
            )
            for c in r.get("citations") or []
            if isinstance(c, dict)
        )
        body.append(
            f"<tr><td><code>{_e(r.get('qid'))}</code></td><td>{_e(r.get('question'))}</td>"
            f"<td>{', '.join(_e(d) for d in r.get('relevant') or []) or DASH}</td><td>{got}</td>"
            f'<td>{ans}{"<br>" + cites if cites else ""}</td><td class="reason">{_e(why)}</td></tr>'
        )
    return f'<table id="worst"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


# --- page ------------------------------------------------------------------------------------
def _summary_table(summary: dict[str, Any]) -> str:
    """Metric table grouped by kind; unknown keys go to an "Other" group."""
    known = {k for _, keys in _GROUPS for k in keys} | {"n_questions"}
    groups = [*_GROUPS, ("Other", sorted(k for k in summary if k not in known))]
    out = []
    for title, keys in groups:
        if not keys:
            continue
        out.append(f'<tr class="group"><th colspan="2">{_e(title)}</th></tr>')
        for k in keys:
            v = _fmt(summary.get(k), ms=k.endswith("_ms"))
            out.append(f'<tr data-metric="{_e(k)}"><td>{_e(k)}</td><td class="num">{v}</td></tr>')
    return f'<table id="summary"><tbody>{"".join(out)}</tbody></table>'


def _setting(value: Any) -> str:
    """A settings value as text (JSON for anything that is not a string)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def render_html(report: dict[str, Any] | None, rows: list[dict[str, Any]] | None) -> str:
    """The whole self-contained HTML page for one evaluation run."""
    report, rows = report or {}, list(rows or [])
    summary: dict[str, Any] = report.get("summary") or {}
    settings: dict[str, Any] = report.get("settings") or {}
    dataset = report.get("dataset") or "(unnamed data set)"
    n = summary.get("n_questions")
    n = n if isinstance(n, int) and not isinstance(n, bool) else len(rows)
    keys = [k for k in ("retriever", "embedder", "llm") if k in settings] or list(settings)[:4]
    chips = "".join(
        f'<span class="chip">{_e(k)}: {_e(_trunc(_setting(settings[k]), 60))}</span>' for k in keys
    )
    langs = sorted({str(r.get("lang")) for r in rows if r.get("lang")})
    split = [f"{sum(r.get('lang') == g for r in rows)} {_e(g)}" for g in langs]
    unans = sum(not r.get("answerable", True) for r in rows)
    split += [f"{unans} unanswerable"] if unans else []
    sub = f"{n} question{'' if n == 1 else 's'}" + (f" ({', '.join(split)})" if split else "")
    set_rows = "".join(
        f"<tr><th>{_e(k)}</th><td><code>{_e(_setting(v))}</code></td></tr>"
        for k, v in settings.items()
    )
    set_table = f'<table id="settings"><tbody>{set_rows}</tbody></table>' if set_rows else ""
    p50, p95 = summary.get("latency_p50_ms"), summary.get("latency_p95_ms")
    lat = [r.get("latency_ms") for r in rows]
    figs = [
        ("Recall@k", recall_svg(report.get("recall_curve") or {})),
        ("Latency per question", latency_svg(lat, p50, p95)),
        ("Abstention (truth × system)", confusion_svg(rows)),
    ]
    plots = "".join(f"<figure><figcaption>{t}</figcaption>{s}</figure>" for t, s in figs)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>RAG eval – {_e(dataset)}</title><style>{_CSS}</style></head><body><main>"
        f"<header><h1>RAG evaluation: {_e(dataset)}</h1>"
        f'<div class="sub">{sub}</div><div>{chips}</div></header>'
        f'<div class="row"><section><h2>Summary</h2>{_summary_table(summary)}</section>'
        f"{'<section><h2>Settings</h2>' + set_table + '</section>' if set_table else ''}</div>"
        f'<h2>Plots</h2><div class="plots">{plots}</div>'
        f"<h2>Worst questions</h2>{worst_table(rows)}"
        "</main></body></html>\n"
    )
