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
        """Copy `files` (uploads) into the library folder and index them. A re-upload under a
        name the library has replaces that file (and its article); two uploads with one name
        in a batch are both kept ('name-2.txt'); a file that can't be indexed is not kept (and
        the copy it would have replaced is put back)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        kept: list[Path] = []
        backups: dict[Path, Path] = {}
        try:
            for f in files:
                target = self._free_name(Path(f).name, taken=kept)
                if Path(f).resolve() != target.resolve():
                    if target.exists():
                        backups[target] = target.with_name(f".{target.name}.previous")
                        shutil.copyfile(target, backups[target])
                    shutil.copyfile(f, target)
                kept.append(target)
            report = self.ingestor.build_index(kept, progress=progress)
        except BaseException:
            self._restore(kept, backups, bad={str(p) for p in kept})
            raise
        self._restore(kept, backups, bad={s.path for s in report.skipped})
        return report

    def _free_name(self, name: str, taken: Sequence[Path]) -> Path:
        target = self.folder / name
        n = 1
        while target in taken:
            n += 1
            target = self.folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        return target

    @staticmethod
    def _restore(kept: Sequence[Path], backups: dict[Path, Path], bad: set[str]) -> None:
        """Remove the copies that were not indexed (putting back what they replaced); drop
        the backups of the rest."""
        for target in kept:
            backup = backups.get(target)
            if str(target) in bad:
                if backup is not None:
                    backup.replace(target)
                else:
                    target.unlink(missing_ok=True)
            elif backup is not None:
                backup.unlink(missing_ok=True)

    def add_text(self, title: str, text: str, progress: Progress | None = None) -> IndexReport:
        """Index pasted text as an article titled `title`, kept in the library's `pasted/`
        folder (so it never overwrites an upload of the same name; pasting the same title
        again replaces it)."""
        title, text = " ".join(title.split()), text.strip()
        if not text:
            raise RagError("the article text is empty")
        name = slug(title) or "pasted-" + hashlib.sha256(text.encode()).hexdigest()[:8]
        folder = self.folder / "pasted"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.txt"
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
            if path.parent in (self.folder, self.folder / "pasted") and path.is_file():
                path.unlink()
        return report
