"""Articles: cleaning the seed, metadata, file formats, bad input and discovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.articles import (
    Article,
    Rules,
    Skipped,
    clean,
    decode,
    derive_title,
    discover,
    extract_date,
    load_articles,
    parse_file,
)
from rag.errors import ArticleError

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_d13655306499247b.txt"
CHIP_SENTENCE = (
    "Sementara itu, China tunduk pada pembatasan produksi chip, yang hanya dapat membuat "
    "chip 14nm, DRAM 18nm, dan flash NAND 3D 128 lapis."
)
BODY = "Banjir melanda kota Medan. Ribuan warga mengungsi ke masjid."


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _one(path: Path, rules: Rules, max_bytes: int = 1 << 20) -> Article:
    items = list(parse_file(path, rules, max_bytes))
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def _reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in skipped}


# --- the seed article ---------------------------------------------------------------------


def test_seed_is_cleaned_and_keeps_its_facts(rules: Rules) -> None:
    articles, skipped = load_articles([SEED], rules)
    assert skipped == [] and len(articles) == 1
    art = articles[0]
    lines = art.text.splitlines()
    for junk in ("IKLAN", "GULIR UNTUK LANJUTKAN KONTEN", "[Gambas:Video 20detik]"):
        assert junk not in lines
    assert not any(line.startswith("Tonton Video") for line in lines)
    assert "(asj/fyk)" not in art.text
    assert CHIP_SENTENCE in art.text
    assert (art.published, art.source, art.dateline) == ("2023-03-24", "detikINET", "Jakarta")
    assert art.doc_id == SEED.stem
    assert not art.text.startswith("Jakarta")  # the dateline is not part of the text


# --- cleaning and metadata ----------------------------------------------------------------


def test_clean_drops_boilerplate_and_trailing_credits(rules: Rules) -> None:
    raw = f"Banjir di Medan\nJakarta - {BODY}\nBaca juga: Gempa di Padang\nEditor: Budi\n(abc/def)"
    out = clean(raw, rules)
    assert out.title == "Banjir di Medan"
    assert out.dateline == "Jakarta"
    assert out.text == BODY


def test_first_line_ending_a_sentence_is_not_a_title(rules: Rules) -> None:
    out = clean(f"Ini kalimat pertama.\n{BODY}", rules)
    assert out.title is None
    assert out.text.startswith("Ini kalimat pertama.")


def test_hyphenated_title_is_not_a_dateline(rules: Rules) -> None:
    out = clean(f"Covid-19 Melonjak Lagi\nJakarta - {BODY}", rules)
    assert out.title == "Covid-19 Melonjak Lagi"
    assert out.dateline == "Jakarta"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jakarta, Jumat (24/3/2023) - isi", "2023-03-24"),
        ("Diterbitkan 24 Maret 2023 pukul 10.00", "2023-03-24"),
        ("Rapat 5 Agu 2021 di Bogor", "2021-08-05"),
        ("diperbarui 2022-11-05 08:00 WIB", "2022-11-05"),
        ("31 Februari 2023, lalu 2 Mei 2023", "2023-05-02"),  # impossible date skipped
        ("tidak ada tanggal di sini, hanya 2023", None),
    ],
)
def test_extract_date(text: str, expected: str | None) -> None:
    assert extract_date(text) == expected


def test_derive_title_first_sentence_or_cut_at_word() -> None:
    assert derive_title("Harga cabai naik. Pedagang mengeluh.") == "Harga cabai naik"
    long = "Pemerintah provinsi mengumumkan kebijakan baru tentang banjir di kota Medan."
    title = derive_title(long, limit=30)
    assert title.endswith("…") and len(title) <= 31
    prefix = title[:-1]
    assert long.startswith(prefix) and long[len(prefix)] == " "  # cut at a word boundary


def test_decode_utf8_bom_cp1252_and_binary() -> None:
    assert decode("\ufeffHalo dunia".encode(), "x") == "Halo dunia"
    assert decode(b"\x93Halo\x94 kata dia", "x") == "\u201cHalo\u201d kata dia"
    with pytest.raises(ArticleError, match="binary"):
        decode(b"\x89PNG\r\n\x00\x00\x00", "img.txt")


# --- formats ------------------------------------------------------------------------------


def test_cp1252_file_is_read(tmp_path: Path, rules: Rules) -> None:
    path = _write(tmp_path / "kutipan.txt", b"\x93Kami siap,\x94 kata menteri. " + BODY.encode())
    art = _one(path, rules)
    assert art.text.startswith("\u201cKami siap,\u201d kata menteri.")
    assert "\ufffd" not in art.text


def test_markdown_heading_is_title(tmp_path: Path, rules: Rules) -> None:
    art = _one(_write(tmp_path / "berita.md", f"# Banjir Medan\n\n{BODY}"), rules)
    assert art.title == "Banjir Medan"
    assert art.text == BODY


def test_html_drops_script_style_and_uses_title(tmp_path: Path, rules: Rules) -> None:
    page = (
        "<html><head><title>Banjir Medan</title><style>p {color: red}</style>"
        "<script>var iklan = 'beli';</script></head>"
        f"<body><nav>Menu Utama</nav><p>{BODY}</p><p>IKLAN</p><p>Warga &amp; relawan.</p>"
        "</body></html>"
    )
    art = _one(_write(tmp_path / "page.html", page), rules)
    assert art.title == "Banjir Medan"
    for gone in ("color", "iklan", "beli", "Menu Utama", "IKLAN", "Banjir Medan"):
        assert gone not in art.text
    assert art.text == f"{BODY}\n\nWarga & relawan."


def test_html_open_graph_metadata(tmp_path: Path, rules: Rules) -> None:
    page = (
        '<meta property="og:title" content="Judul OG"><meta property="og:site_name" '
        'content="Kabar"><meta property="og:url" content="https://kabar.id/a/1">'
        '<meta property="article:published_time" content="2024-01-02">'
        f"<title>Judul Lain</title><p>{BODY}</p>"
    )
    art = _one(_write(tmp_path / "og.html", page), rules)
    assert (art.title, art.source, art.url) == ("Judul OG", "Kabar", "https://kabar.id/a/1")
    assert art.published == "2024-01-02"


def test_html_published_time_as_iso_datetime(tmp_path: Path, rules: Rules) -> None:
    page = (
        f'<meta property="article:published_time" content="2024-01-02T03:04:05+07:00"><p>{BODY}</p>'
    )
    assert _one(_write(tmp_path / "dt.html", page), rules).published == "2024-01-02"


def test_html_h1_with_inline_markup_is_whole_title(tmp_path: Path, rules: Rules) -> None:
    art = _one(
        _write(tmp_path / "h1.html", f"<h1>Banjir <b>Besar</b> Medan</h1><p>{BODY}</p>"), rules
    )
    assert art.title == "Banjir Besar Medan"


def test_html_entities_are_decoded_once(tmp_path: Path, rules: Rules) -> None:
    page = f"<p>{BODY}</p><p>Rumus &amp;lt;b&amp;gt; ditulis begitu.</p>"
    assert "Rumus &lt;b&gt; ditulis begitu." in _one(_write(tmp_path / "e.html", page), rules).text


def test_jsonl_invalid_line_is_skipped_others_kept(tmp_path: Path, rules: Rules) -> None:
    good = [{"doc_id": "A 1", "title": "Satu", "text": BODY}, {"text": "Gempa di Padang. Aman."}]
    lines = [json.dumps(good[0]), "{not json", "", json.dumps(good[1]), "[1, 2]"]
    path = _write(tmp_path / "feed.jsonl", "\n".join(lines))
    articles, skipped = load_articles([path], rules)
    assert [a.text for a in articles] == [g["text"] for g in good]
    assert articles[0].doc_id == "a-1" and articles[0].title == "Satu"
    assert {s.path for s in skipped} == {f"{path}:2", f"{path}:5"}
    reasons = {s.path: s.reason for s in skipped}
    assert (
        reasons[f"{path}:2"] and reasons[f"{path}:5"] == "expected an object with a string 'text'"
    )


# --- bad files ----------------------------------------------------------------------------


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, rules: Rules) -> None:
    _write(tmp_path / "kosong.txt", b"")
    _write(tmp_path / "spasi.txt", "  \n\t\n")
    _write(tmp_path / "biner.txt", b"abc\x00\x01\x02def")
    _write(tmp_path / "besar.txt", BODY * 10)
    _write(tmp_path / "laporan.pdf", BODY)
    _write(tmp_path / "ok.txt", BODY)
    articles, skipped = load_articles([tmp_path], rules, max_bytes=len(BODY) * 5)
    assert [a.doc_id for a in articles] == ["ok"]
    reasons = _reasons(skipped)
    assert set(reasons) == {"kosong.txt", "spasi.txt", "biner.txt", "besar.txt", "laporan.pdf"}
    assert "empty" in reasons["kosong.txt"] and "empty" in reasons["spasi.txt"]
    assert "binary" in reasons["biner.txt"]
    assert "limit" in reasons["besar.txt"]
    assert ".pdf" in reasons["laporan.pdf"]


def test_parse_file_max_bytes_boundary_and_extension(tmp_path: Path, rules: Rules) -> None:
    path = _write(tmp_path / "pas.txt", BODY)
    size = len(BODY.encode())
    assert _one(path, rules, max_bytes=size).text == BODY
    with pytest.raises(ArticleError, match="limit"):
        list(parse_file(path, rules, max_bytes=size - 1))
    with pytest.raises(ArticleError, match="unsupported"):
        list(parse_file(_write(tmp_path / "a.docx", BODY), rules))


def test_extra_rules_append_drop_lines(tmp_path: Path) -> None:
    extra = _write(tmp_path / "extra.toml", "drop_lines = ['promo spesial.*']\n")
    raw = f"{BODY}\nPROMO SPESIAL hari ini!\nIKLAN\nPenutup berita."
    default = clean(raw, Rules.load(), title_from_first_line=False)
    merged = clean(raw, Rules.load(extra), title_from_first_line=False)
    assert "PROMO SPESIAL hari ini!" in default.text
    assert merged.text == f"{BODY}\n\nPenutup berita."  # built-in 'iklan' rule still applies


def test_unreadable_extra_rules_raise(tmp_path: Path) -> None:
    with pytest.raises(ArticleError):
        Rules.load(tmp_path / "missing.toml")
    with pytest.raises(ArticleError):
        Rules.load(_write(tmp_path / "bad.toml", "drop_lines = ['x'"))


# --- discovery ----------------------------------------------------------------------------


def test_folder_with_nested_files(tmp_path: Path, rules: Rules) -> None:
    _write(tmp_path / "a.txt", BODY)
    _write(tmp_path / "sub" / "b.md", "# Judul B\n\nIsi B. Lagi.")
    _write(tmp_path / "sub" / "deep" / "c.html", "<p>Isi C. Lagi.</p>")
    _write(tmp_path / "sub" / ".hidden.txt", BODY)
    files, skipped = discover([tmp_path])
    assert skipped == []
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "a.txt",
        "sub/b.md",
        "sub/deep/c.html",
    ]
    articles, _ = load_articles([tmp_path], rules)
    assert sorted(a.doc_id for a in articles) == ["a", "b", "c"]


def test_glob_and_missing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "x.txt", BODY)
    files, skipped = discover(["*.txt", "*.nothing", "hilang.txt"])
    assert files == [Path("x.txt")]
    assert _reasons(skipped) == {
        "*.nothing": "no file matches",
        "hilang.txt": "no such file or folder",
    }


def test_absolute_glob(tmp_path: Path) -> None:
    _write(tmp_path / "x.txt", BODY)
    files, _ = discover([f"{tmp_path}/*.txt"])
    assert files == [tmp_path / "x.txt"]


def test_doc_ids_are_stable_across_loads(tmp_path: Path, rules: Rules) -> None:
    _write(tmp_path / "Berita Satu.txt", BODY)
    _write(tmp_path / "feed.jsonl", json.dumps({"text": "Gempa di Padang. Aman."}))
    first, _ = load_articles([tmp_path], rules)
    second, _ = load_articles([tmp_path], rules)
    assert len(first) == 2
    assert [a.doc_id for a in first] == [a.doc_id for a in second]
    assert "berita-satu" in {a.doc_id for a in first}
