"""Ingest: files -> articles -> the indexer's run (`index.pipeline`), one run at a time.

The write side of the service (after private-gpt's ingest service): it reads and cleans the
files, gives clashing file names distinct ids, checks that the run fits the index (model and
chunk settings) and hands the articles to `index.pipeline.index_articles`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from index.pipeline import IndexReport, Progress, index_articles
from index.runs import IndexedArticle
from rag.articles import Article, Rules, load_articles
from rag.catalog import Catalog
from rag.chunks import chunk_article
from rag.config import Settings
from rag.errors import ConfigError, RagError, disk_errors
from rag.fetch import Fetcher, Limits, is_url
from rag.formats import Skipped

_RECORD = re.compile(r":\d+$")  # "file.jsonl:12": one record of a file
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

log = logging.getLogger(__name__)


def fetcher_for(settings: Settings) -> Fetcher:
    """The fetcher `settings` describe (the service's composition root builds one)."""
    return Fetcher(
        Limits(
            timeout_s=settings.fetch_timeout_s,
            max_bytes=int(settings.max_file_mb * 1024 * 1024),
            max_redirects=settings.fetch_max_redirects,
            feed_items=settings.feed_max_items,
        )
    )


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One indexing run at a time per embedded index (an OS lock: a killed run frees it).
    With a Chroma server, one writer is up to the operator (see README)."""
    if settings.chroma_host:
        yield
        return
    import fcntl

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / "index.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RagError(
                f"another `rag index` is running on {settings.index_dir}; try again when it ends"
            ) from None
        yield


def _file_of(path: str) -> str:
    return _RECORD.sub("", path)


def _digest(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "replace")).hexdigest()[:6]


def unique_ids(
    articles: list[Article], indexed: dict[str, IndexedArticle]
) -> tuple[list[Article], list[Skipped]]:
    """An article replaces only an article from the same source (file, or URL). A file or page
    whose id is held by another source gets a distinct id (its id plus a hash of its path); a
    JSONL record names its own id, so a clash skips it, with the reason. Never silent."""
    out: list[Article] = []
    skipped: list[Skipped] = []
    taken: dict[str, str] = {}  # doc_id -> the source that has it in this run
    for a in articles:
        source = _file_of(a.path)
        distinct = f"{a.doc_id}-{_digest(a.path)}"
        held = indexed.get(distinct)
        if held is not None and held.path == a.path and distinct not in taken:
            # this file got a distinct id in an earlier run: it keeps it, even once the article
            # that held the plain id is gone (else every run would re-key and re-embed it)
            taken[distinct] = source
            out.append(dataclasses.replace(a, doc_id=distinct))
            continue
        owner = indexed.get(a.doc_id)
        other = (
            taken[a.doc_id]
            if taken.get(a.doc_id, source) != source
            else owner.path
            if owner is not None and _file_of(owner.path) != source
            else None
        )
        if other is not None:
            if _RECORD.search(a.path):
                skipped.append(
                    Skipped(
                        a.path,
                        f"doc_id {a.doc_id!r} is already used by {other}: an article is only "
                        "replaced from the file it came from; give this record another doc_id",
                    )
                )
                continue
            a = dataclasses.replace(a, doc_id=distinct)
        taken.setdefault(a.doc_id, source)
        out.append(a)
    return out, skipped


def _split(sources: list[Path | str]) -> tuple[list[Path | str], list[str], list[Skipped]]:
    paths: list[Path | str] = []
    urls: list[str] = []
    bad: list[Skipped] = []
    for src in sources:
        if is_url(src):
            urls.append(str(src).strip())
        elif isinstance(src, str) and _SCHEME.match(src):
            bad.append(Skipped(src, "only http:// and https:// addresses can be fetched"))
        else:
            paths.append(src)
    return paths, urls, bad


class Ingestor:
    """Indexes sources into the catalog's collections as atomic runs."""

    def __init__(
        self, settings: Settings, catalog: Catalog, rules: Rules, fetcher: Fetcher | None = None
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.rules = rules
        self.fetcher = fetcher or fetcher_for(settings)
        self._lock = threading.Lock()  # one run at a time in this process too

    def build_index(
        self,
        sources: Iterable[Path | str],
        *,
        full: bool = False,
        prune: bool = False,
        progress: Progress | None = None,
        remove: Sequence[str] = (),
    ) -> IndexReport:
        """See `RagService.build_index`."""
        s = self.settings
        with self._lock, writer_lock(s):
            self.catalog.refresh()
            others = self.catalog.check_writable(full=full)
            store = self.catalog.store
            chunking = f"{s.chunk_size}/{s.chunk_overlap}"
            built = store.meta().get("chunking")
            if store.committed and built and built != chunking and not full:
                raise ConfigError(
                    f"the index was chunked with size/overlap {built}, the settings say "
                    f"{chunking}: rebuild with `rag index --full` or change the chunk settings back"
                )
            articles, skipped = self._load(list(sources))
            articles, clashes = unique_ids(articles, store.articles())
            with self._reopened_after_failure(), disk_errors(s.index_dir):
                report = index_articles(
                    articles,
                    [*skipped, *clashes],
                    store,
                    partial(chunk_article, chunk_size=s.chunk_size, overlap=s.chunk_overlap),
                    chunking=chunking,
                    batch_size=s.embed_batch_size,
                    near_threshold=s.near_duplicate_threshold,
                    skip_near=s.near_duplicates == "skip",
                    full=full,
                    prune=prune,
                    progress=progress,
                    cross_store=self.catalog.cross,
                    remove=remove,
                )
                self.catalog.drop_replaced(others, full=full)
            return report

    @contextmanager
    def _reopened_after_failure(self) -> Iterator[None]:
        """A run that fails midway (a full disk) leaves the index as its last complete run on
        disk, but this process's Chroma system may be stuck mid-write: it is opened again."""
        try:
            yield
        except BaseException:
            try:
                self.catalog.reopen()
            except Exception:  # still no space: the next run opens it again
                log.warning("could not reopen the index after a failed run", exc_info=True)
            raise

    def _load(self, sources: list[Path | str]) -> tuple[list[Article], list[Skipped]]:
        """Files, folders and globs read from disk; http(s) URLs fetched (pages and feeds)."""
        paths, urls, skipped = _split(sources)
        articles: list[Article] = []
        if paths or not urls:  # no sources at all: load_articles says so
            max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
            found, bad = load_articles(paths, self.rules, max_bytes)
            articles += found
            skipped += bad
        if urls:
            fetched, bad = self.fetcher.articles(urls, self.rules)
            articles += fetched
            skipped += bad
        limit = self.settings.max_article_chars
        for a in [a for a in articles if len(a.text) > limit]:
            articles.remove(a)
            skipped.append(
                Skipped(
                    a.path, f"too long ({len(a.text):,} characters; max_article_chars is {limit:,})"
                )
            )
        return articles, skipped
