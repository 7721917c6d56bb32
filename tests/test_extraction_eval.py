"""The HTML extraction evaluation set (evals/html) and its scoring (evals/extraction.py)."""

from __future__ import annotations

import json

import pytest

from evals import extraction
from evals.extraction import DATA, load_pages, prf

MANIFEST = [json.loads(line) for line in (DATA / "manifest.jsonl").read_text("utf-8").splitlines()]
FIELDS = {"id", "lang", "site", "url", "title", "source", "license", "reference"}


def test_manifest_is_consistent() -> None:
    ids = [rec["id"] for rec in MANIFEST]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for rec in MANIFEST:
        assert rec.keys() >= FIELDS, rec["id"]
        assert rec["reference"] in {
            "from the repository's expected output",
            "written here by reading the page",
        }
        assert "@" in rec["source"] and "/" in rec["source"].split()[0]
        assert (DATA / "pages" / f"{rec['id']}.html.gz").is_file(), rec["id"]
        body = (DATA / "pages" / f"{rec['id']}.txt").read_text("utf-8")
        assert body.strip() and not body.startswith(rec["title"] or "\0"), rec["id"]
    assert sum(rec["lang"] == "id" for rec in MANIFEST) >= 5
    assert len({rec["lang"] for rec in MANIFEST}) >= 4
    assert len(load_pages()) == len(MANIFEST)


def test_f1_identical_and_disjoint() -> None:
    text = "Presiden meresmikan jembatan baru di Jakarta pada hari Senin."
    assert prf(text, text) == (1.0, 1.0, 1.0)
    assert prf("satu dua tiga empat lima", "enam tujuh delapan sembilan sepuluh") == (0, 0, 0)
    assert prf("", text) == (0.0, 0.0, 0.0)


def test_f1_partial_overlap_is_exact() -> None:
    # got: 3 shingles (a b c d, b c d e, c d e f); expected: 2, both found -> P 2/3, R 1, F1 0.8
    p, r, f = prf("A b, c d e f", "a b c d e")
    assert (p, r) == pytest.approx((2 / 3, 1.0))
    assert f == pytest.approx(0.8)
    # bags, not sets: a repeated shingle counts once per occurrence -> P 1/2, R 1, F1 2/3
    assert prf("x x x x x", "x x x x")[2] == pytest.approx(2 / 3)
    # texts shorter than a shingle are one short shingle
    assert prf("Jakarta", "jakarta") == (1.0, 1.0, 1.0)


def test_trafilatura_reads_an_indonesian_page() -> None:
    (page,) = load_pages(only="id-kompas-yuddy-pns")
    run = extraction.evaluate([page], "trafilatura", extraction.extractors()["trafilatura"])
    (score,) = run.scores
    assert not score.dropped
    assert score.f > 0.8, score
