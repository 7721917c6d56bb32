"""The library folder: articles added through the chat page (uploads, pasted text) are kept in
`<index_dir>/library/` and indexed like any other file; deleting one removes its file too.
Articles added by URL are fetched and indexed; their URL is their path."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path

from index.pipeline import IndexReport, Progress
from rag.articles import slug
from rag.errors import RagError
from rag.ingest import Ingestor


class Library:
    """Add files, add pasted text, delete articles: each one indexing run."""

    def __init__(self, folder: Path, ingestor: Ingestor) -> None:
        self.folder = folder
        self.ingestor = ingestor

    def add_files(self, files: Sequence[Path], progress: Progress | None = None) -> IndexReport:
        """Copy `files` (uploads) into the library folder and index them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for f in files:
            target = self.folder / Path(f).name
            if Path(f).resolve() != target.resolve():
                shutil.copyfile(f, target)
            kept.append(target)
        return self.ingestor.build_index(kept, progress=progress)

    def add_text(self, title: str, text: str, progress: Progress | None = None) -> IndexReport:
        """Index pasted text as an article titled `title` (kept in the library folder)."""
        title, text = " ".join(title.split()), text.strip()
        if not text:
            raise RagError("the article text is empty")
        name = slug(title) or "pasted-" + hashlib.sha256(text.encode()).hexdigest()[:8]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.txt"
        path.write_text(f"{title}\n\n{text}\n" if title else text + "\n", encoding="utf-8")
        return self.ingestor.build_index([path], progress=progress)

    def add_urls(self, urls: Sequence[str], progress: Progress | None = None) -> IndexReport:
        """Fetch and index web pages and feeds (the URL is each article's source)."""
        wanted = [u for u in (u.strip() for u in urls) if u]
        if not wanted:
            raise RagError("give one or more http:// or https:// addresses")
        return self.ingestor.build_index(wanted, progress=progress)

    def delete(self, doc_ids: Sequence[str]) -> IndexReport:
        """Remove articles from the index, and their copies in the library folder."""
        held = self.ingestor.catalog.store.articles()
        report = self.ingestor.build_index([], remove=doc_ids)
        for doc_id in report.removed:
            path = Path(held[doc_id].path)
            if path.parent == self.folder and path.is_file():
                path.unlink()
        return report
