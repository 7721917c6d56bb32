"""Web pages through trafilatura: body without page chrome, metadata, the plain fallback."""

from __future__ import annotations

from typing import Any

import pytest

from rag import pages
from rag.articles import Rules, article_from_html, url_id
from rag.pages import read_page

NEWS_PAGE = """<!doctype html><html lang="id"><head>
<title>Putin bertemu Xi di Beijing - Berita Kita</title>
<meta property="og:title" content="Putin bertemu Xi di Beijing">
<meta property="og:site_name" content="Berita Kita">
<meta name="author" content="Andi Wijaya">
<link rel="canonical" href="https://beritakita.id/dunia/putin-xi">
<meta property="article:published_time" content="2024-05-16T08:00:00+07:00">
</head><body>
<nav><a href="/">Beranda</a> <a href="/dunia">Dunia</a> <a href="/olahraga">Olahraga</a></nav>
<header><div class="logo">Berita Kita</div></header>
<article><h1>Putin bertemu Xi di Beijing</h1>
<p>Jakarta, CNN Indonesia -- Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi
Jinping di Beijing pada Kamis (16/5/2024). Kedua pemimpin membahas kerja sama ekonomi.</p>
<p>Baca juga: Harga minyak naik</p>
<p>Putin mengatakan hubungan kedua negara berada pada titik tertinggi dalam sejarah. Xi
menyebut kedua negara akan terus memperdalam kemitraan strategis.</p>
<p>Pertemuan itu berlangsung selama tiga jam di Aula Besar Rakyat.</p></article>
<aside><h3>Berita terkait</h3><ul><li><a href="/a">Timnas menang telak di laga uji coba</a></li>
<li><a href="/b">Harga cabai melonjak menjelang Lebaran</a></li></ul></aside>
<footer>Hak cipta 2024 Berita Kita. Kebijakan privasi. Kontak redaksi.</footer>
</body></html>"""


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def test_a_news_page_gives_its_body_and_metadata() -> None:
    page = read_page(NEWS_PAGE)
    assert page.extractor == "trafilatura"
    assert page.title == "Putin bertemu Xi di Beijing"
    assert (page.author, page.site, page.language) == ("Andi Wijaya", "Berita Kita", "id")
    assert page.url == "https://beritakita.id/dunia/putin-xi"
    assert page.published == "2024-05-16"
    assert "titik tertinggi dalam sejarah" in page.text
    for chrome in ("Beranda", "Olahraga", "Berita terkait", "Timnas", "Hak cipta", "privasi"):
        assert chrome not in page.text


def test_the_article_keeps_the_news_cleaning_after_trafilatura(rules: Rules) -> None:
    art = article_from_html(NEWS_PAGE, "putin.html", rules, doc_id="putin")
    assert "Baca juga" not in art.text  # our boilerplate rules still run
    assert art.dateline == "Jakarta" and art.text.startswith("Presiden Rusia Vladimir Putin")
    assert (art.title, art.source, art.author) == (
        "Putin bertemu Xi di Beijing",
        "Berita Kita",
        "Andi Wijaya",
    )
    assert art.url == "https://beritakita.id/dunia/putin-xi"  # the canonical URL, from a file
    assert art.published == "2024-05-16" and art.language == "id"


def test_a_fetched_page_is_known_by_its_address(rules: Rules) -> None:
    where = "http://127.0.0.1:8000/dunia/putin-xi?utm=1"
    art = article_from_html(NEWS_PAGE, where, rules, url=where)
    assert art.url == where and art.path == where
    assert art.doc_id == url_id(where) and art.doc_id.startswith("127.0.0.1-8000-dunia-putin-xi")


def test_url_ids_are_stable_and_distinct() -> None:
    a, b = "https://x.id/a?p=1", "https://x.id/a?p=2"
    assert url_id(a) == url_id(a) != url_id(b)
    assert len(url_id("https://x.id/" + "k" * 500)) <= 90


def test_a_page_trafilatura_finds_nothing_in_is_read_plainly() -> None:
    page = read_page("<body>Banjir melanda kota Medan.</body>")
    assert (page.extractor, page.text) == ("plain", "Banjir melanda kota Medan.")


def test_a_trafilatura_failure_falls_back_to_the_plain_reader(
    monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    class Broken:
        @staticmethod
        def bare_extraction(*args: Any, **kwargs: Any) -> Any:
            raise ValueError("lxml: document is empty")

    monkeypatch.setattr(pages, "_trafilatura", lambda: Broken)
    art = article_from_html(NEWS_PAGE, "putin.html", rules, doc_id="putin")
    assert "titik tertinggi" in art.text and "Beranda" not in art.text  # nav skipped plainly
    assert art.title == "Putin bertemu Xi di Beijing"  # og:title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Jamaah Haji Ikuti Pemeriksaan | ihram.co.id", "Jamaah Haji Ikuti Pemeriksaan"),
        ("Covid-19 - Kasus baru naik - Berita Kita", "Covid-19 - Kasus baru naik"),
        ("Harga naik: pedagang mengeluh", "Harga naik: pedagang mengeluh"),  # not a site
    ],
)
def test_the_site_name_is_cut_from_a_title(title: str, expected: str) -> None:
    body = "<p>Presiden Rusia Vladimir Putin bertemu Presiden Cina Xi Jinping di Beijing.</p>" * 3
    html = (
        f"<html><head><title>{title}</title><meta property='og:site_name' content='Berita Kita'>"
        "<link rel='canonical' href='https://ihram.co.id/a'></head>"
        f"<body><article>{body}</article></body></html>"
    )
    assert read_page(html).title == expected


STORY = (
    "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping di Moskow. Kedua "
    "pemimpin membahas kerja sama di bidang teknologi informasi dan kecerdasan buatan. "
)
MENU = "".join(
    f"<tr><td><a href='/k{i}'>Kategori berita nomor {i}</a></td></tr>" for i in range(30)
)
TABLE_LAYOUT = f"""<html lang="id"><head><title>Berita</title></head><body>
<table><tr><td><table>{MENU}</table></td>
<td><p>{STORY * 3}</p><p>{STORY * 2}</p></td></tr></table></body></html>"""
DATA_TABLE = f"""<html lang="id"><head><title>Chip</title></head><body><article>
<p>{STORY * 4}</p><table><tr><th>Produk</th><th>Batas</th></tr><tr><td>DRAM</td><td>18nm</td></tr>
<tr><td>NAND 3D</td><td>128 lapis</td></tr></table><p>{STORY * 3}</p></article></body></html>"""


def test_a_page_laid_out_in_a_table_is_read_without_its_menus() -> None:
    page = read_page(TABLE_LAYOUT)
    assert "Putin bertemu dengan Presiden Cina" in page.text
    assert "Kategori berita" not in page.text and "|" not in page.text


def test_a_data_table_inside_an_article_keeps_its_rows() -> None:
    page = read_page(DATA_TABLE)
    assert "18nm" in page.text and "128 lapis" in page.text
