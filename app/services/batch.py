"""Ingesting many stories from files: each story stored whole or not at all, failures reported, never fatal.

Stories are written several to a transaction, each in its own savepoint: a commit is a WAL flush
(an fsync on PostgreSQL, ~100 pages written on SQLite) and cost as much as a third of a story.
"""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from app.db import Database, DbSession, TransactionLost, batch_transaction, savepoint, transaction
from app.errors import AppError
from app.models import utcnow
from app.pipeline.read import JSON, NINJS, TEXT, read_story
from app.services.catalogue import Memory
from app.services.changes import record
from app.services.ingest import Deferred, save_story, write_deferred

JSON_SUFFIXES = {".json"}
LINE_SUFFIXES = {".ndjson", ".jsonl"}
TEXT_SUFFIXES = {".txt", ".text"}


@dataclass(frozen=True)
class Document:
    source: str  # file, or file:line for a batch
    content_type: str
    body: bytes


@dataclass
class BatchReport:
    counts: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "failed": 0})
    failures: list[tuple[str, str]] = field(default_factory=list)


def sniff(body: bytes) -> str:
    """The content type of a document given without one: JSON (ours or ninjs) or a text page."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return TEXT
    if isinstance(data, dict) and "paragraphs" not in data and ({"uri", "bodies", "headlines"} & data.keys()):
        return NINJS
    return JSON


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    known = JSON_SUFFIXES | LINE_SUFFIXES | TEXT_SUFFIXES
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in known)
        else:
            yield path


def documents(paths: Sequence[Path]) -> Iterator[Document | tuple[str, str]]:
    """Every story in the files and folders given; an unreadable file yields (source, reason)."""
    for path in _files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            yield (str(path), f"cannot read: {exc.strerror or exc}")
            continue
        if path.suffix.lower() in LINE_SUFFIXES:
            for number, line in enumerate(data.splitlines(), start=1):
                if line.strip():
                    yield Document(f"{path}:{number}", sniff(line), line)
        else:
            yield Document(str(path), TEXT if path.suffix.lower() in TEXT_SUFFIXES else sniff(data), data)


# A transaction ends after this many stories or this many seconds, whichever comes first. More
# stories would save little more and would hold the rows it wrote locked, and keep its stories
# unseen, for longer; on PostgreSQL each story is a subtransaction, and past 64 of them snapshots
# get slower. The time is the bound on a machine that is busy: at 0.1 s a loaded machine cut batches
# to two or three stories, which paid the commit, the index and count statements and the sections'
# lookup nearly once a story again (PostgreSQL server CPU 9.4 -> 7.3 ms a story at 0.5 s).
BATCH_STORIES = 32
BATCH_SECONDS = 0.5

Item = Document | tuple[str, str]


@dataclass(frozen=True)
class _Outcome:
    source: str
    status: str  # created, updated, unchanged or failed
    reason: str = ""


def _reason(exc: Exception) -> str:
    return exc.detail if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"


async def _save_in_batch(session: DbSession, item: Item, zone: ZoneInfo, deferred: Deferred) -> _Outcome:
    """One story in its own savepoint of the batch's transaction; what it defers goes to `deferred`
    once the savepoint is released, so that a story that fails adds nothing there."""
    if isinstance(item, tuple):
        return _Outcome(item[0], "failed", item[1])
    mine = deferred.story()
    try:
        story = read_story(item.body, item.content_type, guid=None, timezone=zone)
        async with savepoint(session):
            result = await save_story(session, story, now=utcnow(), deferred=mine)
    except TransactionLost:
        raise
    except Exception as exc:  # one bad story must never stop the batch
        return _Outcome(item.source, "failed", _reason(exc))
    deferred.merge(mine)
    return _Outcome(item.source, result.status)


async def _save_alone(db: Database, item: Item, zone: ZoneInfo) -> _Outcome:
    """One story in a transaction of its own."""
    if isinstance(item, tuple):
        return _Outcome(item[0], "failed", item[1])
    try:
        story = read_story(item.body, item.content_type, guid=None, timezone=zone)
        async with db.writing(), transaction(db) as session:
            result = await save_story(session, story, now=utcnow())
    except Exception as exc:  # one bad story must never stop the batch
        return _Outcome(item.source, "failed", _reason(exc))
    return _Outcome(item.source, result.status)


async def _next_batch(db: Database, items: Iterator[Item], zone: ZoneInfo, memory: Memory) -> list[_Outcome]:
    """Take stories from `items` into one transaction until it is full, and commit it; their entities
    are looked up in `memory`, brought up to date first.

    If the transaction itself fails (a lost connection, a failed commit), nothing of it was kept:
    its stories are written again one per transaction, and reported as they then fare.
    """
    taken: list[Item] = []
    outcomes: list[_Outcome] = []
    try:
        async with batch_transaction(db) as session:
            await memory.refresh(session)
            deferred = Deferred(memory=memory)
            deadline = time.monotonic() + BATCH_SECONDS
            for item in items:
                taken.append(item)
                outcomes.append(await _save_in_batch(session, item, zone, deferred))
                if len(taken) >= BATCH_STORIES or time.monotonic() >= deadline:
                    break
            await write_deferred(session, deferred)
            # Last, as every writer logs: the change-log lock is held only while the batch commits.
            await record(session, deferred.events, now=utcnow())
    except Exception:
        return [await _save_alone(db, item, zone) for item in taken]
    return outcomes


async def ingest_documents(
    db: Database,
    items: Iterable[Item],
    *,
    timezone: str,
    progress: Callable[[str], None] = lambda source: None,
) -> BatchReport:
    """Store every story of `items`; each one is stored whole or not at all, and reported in order."""
    report = BatchReport()
    zone = ZoneInfo(timezone)
    memory = Memory()
    remaining = iter(items)
    for first in remaining:  # each batch then takes what it can of the rest
        if memory.seq is None:
            # Read whole before the first batch, outside it: on SQLite a batch holds the write lock.
            async with transaction(db, read_only=True) as session:
                await memory.refresh(session)
        for outcome in await _next_batch(db, chain([first], remaining), zone, memory):
            report.counts[outcome.status] = report.counts.get(outcome.status, 0) + 1
            if outcome.status == "failed":
                report.failures.append((outcome.source, outcome.reason))
            progress(outcome.source)
    return report
