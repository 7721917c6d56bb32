"""Articles by URL, from a real HTTP server on loopback: pages, feeds, and every bad case a
clear skip reason with nothing else lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.articles import Rules
from rag.config import Settings
from rag.fetch import Fetcher, FetchError, Limits, is_url
from rag.service import RagService
from tests.helpers import HashEmbeddings, Reply, Site, site

PUTIN = (
    "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping di Beijing pada Kamis "
    "(16/5/2024). Kedua pemimpin membahas kerja sama ekonomi dan keamanan kawasan."
)
BANJIR = (
    "Banjir melanda kota Medan sejak Senin pagi. Ribuan warga mengungsi ke masjid dan sekolah "
    "terdekat, sementara relawan membagikan makanan."
)


def page(title: str, body: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in body.split(".") if s.strip())
    return (
        f"<!doctype html><html lang='id'><head><title>{title}</title>"
        f"<meta property='og:site_name' content='Berita Kita'></head><body>"
        f"<nav><a href='/'>Beranda</a> <a href='/x'>Olahraga</a></nav><article><h1>{title}</h1>"
        f"{paragraphs}{extra}</article><footer>Hak cipta Berita Kita</footer></body></html>"
    ).encode()


def rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {n}</title><link>{base}{link}</link>"
        f"<pubDate>Mon, 0{n + 1} Jan 2024 08:00:00 +0700</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Berita Kita</title>"
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def fifty_mb() -> Iterator[bytes]:
    for _ in range(50):
        yield b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>\n"


@pytest.fixture()
def web() -> Iterator[Site]:
    routes = {
        "/dunia/putin": Reply(page("Putin bertemu Xi", PUTIN)),
        "/daerah/banjir": Reply(page("Banjir Medan", BANJIR)),
        "/pindah": Reply(status=301, location="/dunia/putin"),
        "/loop": Reply(status=302, location="/loop"),
        "/slow": Reply(page("Lambat", PUTIN), slow=3.0),
        "/laporan.pdf": Reply(b"%PDF-1.7 ...", "application/pdf"),
        "/besar": Reply(fifty_mb, length=50 * 1024 * 1024),
        "/besar-tanpa-ukuran": Reply(fifty_mb),
        "/kosong": Reply(b"<html><body><nav>Menu</nav></body></html>"),
        "/ftp": Reply(status=302, location="ftp://127.0.0.1/berita.html"),
    }
    with site(routes) as s:
        s.routes["/feed.xml"] = Reply(
            rss(s.url, ["/dunia/putin", "/daerah/banjir", "/hilang"]), "application/rss+xml"
        )
        yield s


@pytest.fixture()
def fetcher() -> Fetcher:
    return Fetcher(Limits(timeout_s=1.0, max_bytes=2 * 1024 * 1024, max_redirects=3))


def test_is_url() -> None:
    assert is_url("https://x.id/a") and is_url("http://127.0.0.1:8000/")
    assert not is_url("seeds/") and not is_url("ftp://x.id/a") and not is_url("berita [1].txt")


def test_a_page_becomes_an_article_known_by_its_url(web: Site, fetcher: Fetcher) -> None:
    url = web.url + "/dunia/putin"
    (art,), skipped = fetcher.articles([url, url + " "], Rules.load())  # the same URL once
    assert skipped == [] and web.hits["/dunia/putin"] == 1
    assert art.path == art.url == url and art.source == "Berita Kita"
    assert art.title == "Putin bertemu Xi" and art.text.startswith("Presiden Rusia")
    assert "Beranda" not in art.text and "Hak cipta" not in art.text


def test_a_redirect_is_followed_and_the_given_url_kept(web: Site, fetcher: Fetcher) -> None:
    (art,), _ = fetcher.articles([web.url + "/pindah"], Rules.load())
    assert art.url == web.url + "/pindah" and "Putin" in art.text


def test_a_feed_adds_its_items(web: Site, fetcher: Fetcher) -> None:
    arts, skipped = fetcher.articles([web.url + "/feed.xml"], Rules.load())
    assert [a.title for a in arts] == ["Putin bertemu Xi", "Banjir Medan"]
    assert arts[1].published == "2024-01-02"  # the page gives none: the feed's date
    assert [(s.path, s.reason) for s in skipped] == [(web.url + "/hilang", "HTTP 404 Not Found")]


def test_a_feed_is_cut_at_its_item_limit(web: Site) -> None:
    short = Fetcher(Limits(timeout_s=1.0, feed_items=1))
    arts, skipped = short.articles([web.url + "/feed.xml"], Rules.load())
    assert len(arts) == 1 and "/hilang" not in web.hits
    assert skipped[0].reason == "2 more feed items left out (feed_items limit)"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/hilang", "HTTP 404 Not Found"),
        ("/loop", "more than 3 redirects (a loop?)"),
        ("/slow", "timed out after 1 s"),
        ("/laporan.pdf", "not a web page or feed (application/pdf)"),
        ("/besar", "too large (50 MB > 2 MB limit)"),
        ("/besar-tanpa-ukuran", "too large (over the 2 MB limit)"),
        ("/kosong", "no article text after cleaning"),
        ("/ftp", "redirected to an address that is not http or https"),
    ],
)
def test_bad_urls_are_skipped_with_a_reason(
    web: Site, fetcher: Fetcher, path: str, reason: str
) -> None:
    arts, skipped = fetcher.articles([web.url + path], Rules.load())
    assert arts == [] and [(s.path, s.reason) for s in skipped] == [(web.url + path, reason)]


def test_an_unreachable_host_is_a_reason(fetcher: Fetcher) -> None:
    with site({}) as gone:
        url = gone.url + "/x"
    with pytest.raises(FetchError, match="cannot fetch"):
        fetcher.get(url)


def test_index_by_url_is_incremental_and_bad_urls_lose_nothing(web: Site, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", fetch_timeout_s=1.0, max_file_mb=2)
    svc = RagService(settings, embeddings=HashEmbeddings())
    seed = tmp_path / "banjir-padang.txt"
    seed.write_text("Banjir di Padang\n\nBanjir melanda Padang. Warga mengungsi.", "utf-8")
    svc.build_index([seed])
    putin, banjir = web.url + "/dunia/putin", web.url + "/daerah/banjir"
    first = svc.build_index([putin, banjir])
    assert len(first.added) == 2 and first.skipped == []
    again = svc.build_index([putin])
    assert len(again.unchanged) == 1 and again.added == again.updated == []
    web.routes["/dunia/putin"] = Reply(page("Putin bertemu Xi", PUTIN + " Pertemuan tiga jam."))
    changed = svc.build_index([putin])
    assert changed.updated == first.added[:1]
    bad = [web.url + p for p in ("/hilang", "/loop", "/laporan.pdf", "/besar")] + ["ftp://x/y"]
    report = svc.build_index(bad)
    assert report.added == report.updated == report.removed == []
    assert {s.path for s in report.skipped} == set(bad)
    held = {a.doc_id: a for a in svc.articles()}
    assert len(held) == 3
    texts = [d.page_content for d in svc.store.all_chunks()]
    assert sum("Pertemuan tiga jam" in t for t in texts) == 1  # the new text, once
    assert not any(t.endswith("keamanan kawasan.") for t in texts)  # the old text is gone
    assert {a.path for a in held.values()} == {str(seed), putin, banjir}


def test_a_feed_indexes_its_items_through_the_library(web: Site, settings: Settings) -> None:
    svc = RagService(settings, embeddings=HashEmbeddings())
    report = svc.add_urls([web.url + "/feed.xml"])
    assert len(report.added) == 2 and [s.reason for s in report.skipped] == ["HTTP 404 Not Found"]
    assert {a.source for a in svc.articles()} == {"Berita Kita"}


def test_an_atom_feed_adds_its_entries(web: Site, fetcher: Fetcher) -> None:
    web.routes["/atom"] = Reply(
        (
            "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            "<title>Berita Kita</title><id>urn:x</id><updated>2024-03-05T08:00:00Z</updated>"
            f"<entry><title>Banjir</title><id>urn:1</id><link href='{web.url}/daerah/banjir'/>"
            "<updated>2024-03-05T08:00:00Z</updated></entry></feed>"
        ).encode(),
        "application/atom+xml",
    )
    (art,), skipped = fetcher.articles([web.url + "/atom"], Rules.load())
    assert skipped == [] and art.title == "Banjir Medan" and art.published == "2024-03-05"
