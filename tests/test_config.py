"""Config: defaults < TOML file < RAG_* env vars < explicit overrides, and readable errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.config import Settings, load_settings
from rag.errors import BackendUnavailable, ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No RAG_* variables from the outside and no ./rag.toml from the repository."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def field_default(name: str) -> object:
    return Settings.model_fields[name].default


# --- Settings -----------------------------------------------------------------------------


def test_settings_defaults_and_chroma_path(tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "idx")
    assert s.top_k == field_default("top_k") and s.fetch_k == field_default("fetch_k")
    assert s.top_k <= s.fetch_k
    assert s.chroma_path == tmp_path / "idx" / "chroma"


@pytest.mark.parametrize(
    "bad",
    [
        {"top_k": 0},
        {"top_k": 10, "fetch_k": 5},
        {"chunk_size": 50},
        {"retriever": "magic"},
        {"collection": "x"},
        {"no_such_setting": 1},
    ],
)
def test_settings_reject_invalid_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**bad)


# --- load_settings: sources and precedence --------------------------------------------------


def test_no_file_gives_defaults() -> None:
    s = load_settings()
    assert type(s) is Settings
    assert s.top_k == field_default("top_k")
    assert s.retriever == field_default("retriever")


def test_file_overrides_defaults(tmp_path: Path) -> None:
    cfg = write_toml(tmp_path / "c.toml", 'top_k = 7\nretriever = "bm25"\nindex_dir = "data/ix"\n')
    s = load_settings(cfg)
    assert (s.top_k, s.retriever) == (7, "bm25")
    assert s.index_dir == Path("data/ix")
    assert s.fetch_k == field_default("fetch_k")  # untouched keys keep their defaults


def test_precedence_file_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write_toml(tmp_path / "c.toml", "top_k = 7\nfetch_k = 40\nchunk_size = 800\n")
    monkeypatch.setenv("RAG_TOP_K", "9")
    monkeypatch.setenv("RAG_CHUNK_SIZE", "900")
    s = load_settings(cfg, top_k=11, fetch_k=None)
    assert s.top_k == 11  # override beats env and file
    assert s.chunk_size == 900  # env beats file
    assert s.fetch_k == 40  # a None override is ignored, the file value stays


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_BM25_STEMMING", "false")
    monkeypatch.setenv("RAG_DENSE_WEIGHT", "0.25")
    s = load_settings()
    assert s.bm25_stemming is False and s.dense_weight == 0.25


def test_rag_toml_in_working_directory_is_used(tmp_path: Path) -> None:
    write_toml(tmp_path / "rag.toml", "top_k = 4\n")
    assert load_settings().top_k == 4


def test_rag_config_env_selects_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(tmp_path / "rag.toml", "top_k = 4\n")
    chosen = write_toml(tmp_path / "chosen.toml", "top_k = 6\n")
    monkeypatch.setenv("RAG_CONFIG", str(chosen))
    assert load_settings().top_k == 6  # beats ./rag.toml
    explicit = write_toml(tmp_path / "explicit.toml", "top_k = 8\n")
    assert load_settings(explicit).top_k == 8  # an explicit file beats RAG_CONFIG


# --- load_settings: errors ----------------------------------------------------------------


def test_missing_file_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="not found") as err:
        load_settings(missing)
    assert str(missing) in str(err.value)


def test_missing_rag_config_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"not found: .*gone\.toml"):
        load_settings()


def test_invalid_override_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="top_k") as err:
        load_settings(top_k=0)
    assert "greater than or equal to 1" in str(err.value)


def test_top_k_above_fetch_k_is_explained() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(top_k=20, fetch_k=10)
    message = str(err.value)
    assert "top_k (20)" in message and "fetch_k (10)" in message


def test_invalid_value_in_file(tmp_path: Path) -> None:
    cfg = write_toml(tmp_path / "c.toml", 'retriever = "magic"\n')
    with pytest.raises(ConfigError, match="retriever"):
        load_settings(cfg)


def test_unknown_key_in_file(tmp_path: Path) -> None:
    cfg = write_toml(tmp_path / "c.toml", "topk = 3\n")
    with pytest.raises(ConfigError, match="topk"):
        load_settings(cfg)


def test_invalid_env_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(ConfigError, match="top_k"):
        load_settings()


def test_toml_syntax_error(tmp_path: Path) -> None:
    cfg = write_toml(tmp_path / "broken.toml", "top_k = \n")
    with pytest.raises(ConfigError, match=r"cannot read config .*broken\.toml"):
        load_settings(cfg)


def test_serving_uses_llama_server_only_when_chosen_and_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import llm_server

    assert llm_server.start_for_serving(Settings(index_dir=tmp_path, llm="none")) is None
    off = Settings(index_dir=tmp_path, llm="local", llm_server="off")
    assert llm_server.start_for_serving(off) is None
    monkeypatch.setattr(llm_server, "server_binary", lambda: None)
    assert llm_server.start_for_serving(Settings(index_dir=tmp_path, llm="local")) is None
    with pytest.raises(BackendUnavailable, match="make llama-server"):
        llm_server.LlamaServer(Settings(index_dir=tmp_path, llm="local"))
