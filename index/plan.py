"""What an indexing run will do: which articles are new, changed, unchanged, duplicated or
gone. Pure logic over the loaded articles and what the index holds; nothing is written here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from index.neardup import NearDuplicates, decode, encode, signature
from index.runs import Article, IndexedArticle, Skip

A = TypeVar("A", bound=Article)


@dataclass
class Outcome:
    """What a run does with each article (doc_ids, or paths for what is not indexed)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id it repeats)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, why --prune kept it)


@dataclass
class Plan(Outcome, Generic[A]):
    todo: list[A] = field(default_factory=list)  # to chunk and embed
    signatures: dict[str, str] = field(default_factory=dict)  # doc_id -> MinHash hex


_RECORD = re.compile(r":\d+$")  # "file.jsonl:12": one record of a file


def _file_of(path: str) -> str:
    return _RECORD.sub("", path)


def make_plan(
    articles: Sequence[A],
    skipped: Sequence[Skip],
    indexed: dict[str, IndexedArticle],
    *,
    full: bool = False,
    prune: bool = False,
    near_threshold: float = 0.8,
    skip_near: bool = True,
    remove: Sequence[str] = (),
) -> Plan[A]:
    """Sort `articles` (in order; the first of two duplicates wins) against the index;
    `remove` lists indexed articles to delete."""
    plan: Plan[A] = Plan(removed=[d for d in dict.fromkeys(remove) if d in indexed])
    present = {a.doc_id for a in articles} | set(plan.removed)
    if prune:
        bad = tuple({s.path for s in skipped})
        for doc_id, held in indexed.items():
            if doc_id in present:
                continue
            file = _file_of(held.path)
            if held.path in bad or file in bad or file.startswith(tuple(b + "/" for b in bad)):
                plan.kept.append((doc_id, "its file could not be read this time"))
            else:
                plan.removed.append(doc_id)
    gone = set(plan.removed)
    near = NearDuplicates(near_threshold)
    by_hash: dict[str, str] = {}
    for doc_id, held in indexed.items():
        if doc_id in gone:
            continue
        by_hash.setdefault(held.content_hash, doc_id)
        if (sig := decode(held.signature)) is not None:
            near.add(doc_id, sig)
    seen: set[str] = set()
    for a in articles:
        prior = indexed.get(a.doc_id)
        if a.doc_id in seen:
            plan.duplicates.append((a.path, a.doc_id))
            continue
        same_text = by_hash.get(a.content_hash)
        if same_text is not None and same_text != a.doc_id:
            plan.duplicates.append((a.path, same_text))
            continue
        if prior is not None and prior.content_hash == a.content_hash and not full:
            seen.add(a.doc_id)
            plan.unchanged.append(a.doc_id)
            continue
        sig = signature(f"{a.title}\n{a.text}")
        if match := near.match(sig, exclude=a.doc_id):
            plan.near_duplicates.append((a.path, match[0], match[1]))
            if skip_near:
                continue
        seen.add(a.doc_id)
        by_hash.setdefault(a.content_hash, a.doc_id)
        near.add(a.doc_id, sig)
        plan.signatures[a.doc_id] = encode(sig)
        (plan.updated if prior is not None else plan.added).append(a.doc_id)
        plan.todo.append(a)
    return plan
