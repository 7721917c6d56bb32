"""The error hierarchy: every failure a user can cause or meet is a RagError."""

from __future__ import annotations


class RagError(Exception):
    """Base class: a problem with a message that is safe to show a user as is."""


class ConfigError(RagError):
    """Settings are invalid or a config file cannot be read."""


class ArticleError(RagError):
    """An input file cannot be read as an article (empty, binary, bad format, ...)."""


class BackendUnavailable(RagError):
    """An optional backend was selected but its package or model is missing."""


class EmbeddingMismatch(RagError):
    """The index was built with another embedding model than the one configured."""


class IndexEmpty(RagError):
    """The question was asked before anything was indexed."""


class ModelError(RagError):
    """A packaged model cannot be downloaded, fails its checksum or cannot be unpacked."""
