"""Ingesting many stories from files: each story stored whole or not at all, failures reported, never fatal.

Stories are written several to a transaction, each in its own savepoint: a commit is a WAL flush
(an fsync on PostgreSQL, ~100 pages written on SQLite) and cost as much as a third of a story.

With a `Helper`, a second process parses the documents and extracts their quotes ahead of the
writer (`ingest.prepare`: a third of a story's time), against a copy of the writer's catalogue kept
current from its journal. The writer takes a story's quotes only if its own catalogue finds the
same entities in the story, none changed since (see `save_story`), so what is stored is what the
writer alone would have stored; a story the helper could not read is read again, and reported, by
the writer.
"""

import asyncio
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from ctypes import c_longlong
from dataclasses import dataclass, field
from itertools import chain, count, islice
from multiprocessing import get_context, parent_process
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

import orjson

from app.db import Database, DbSession, TransactionLost, batch_transaction, savepoint, transaction
from app.errors import AppError
from app.models import utcnow
from app.pipeline.read import JSON, NINJS, TEXT, read_story
from app.services.catalogue import Entry, Memory
from app.services.changes import record
from app.services.ingest import Deferred, Prepared, prepare, save_story, write_deferred

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
    prepared: int = 0  # stories whose quotes the helper found, ahead of the writer


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


# A transaction ends after this many stories (by database) or this many seconds, whichever comes
# first. More stories would hold the rows it wrote locked, and keep its stories unseen, for longer; on
# PostgreSQL each story is a subtransaction, and past 64 of them snapshots get slower, while 64 were no
# faster than 32. On SQLite a commit writes every page the batch dirtied, and consecutive stories dirty
# the same index pages: 64 stories a commit ingest 8% faster than 32 (the write lock is held 0.4 s).
# The time is the bound on a machine that is busy: at 0.1 s a loaded machine cut batches to two or
# three stories, which paid the commit, the index and count statements and the sections' lookup nearly
# once a story again (PostgreSQL server CPU 9.4 -> 7.3 ms a story at 0.5 s).
BATCH_STORIES = {"sqlite": 64, "postgresql": 32}
BATCH_SECONDS = 0.5

Item = Document | tuple[str, str]


# --- the helper process -------------------------------------------------------------------

# Documents go to the helper this many at a time, and it may be this many chunks ahead of the writer:
# enough that the writer does not wait for it, with stories of ~1,000 words at ~3 ms a story.
CHUNK = 8
AHEAD = 6

# In the helper process: its copy of the writer's catalogue, and the number of the last chunk the
# writer went past without it, while it was starting (shared with the writer).
_copy = Memory()
_passed: c_longlong | None = None


def _start(passed: c_longlong) -> None:
    global _passed
    _passed = passed
    # A writer that is killed would leave the helper blocked for ever on a full result pipe, whose
    # reading end it holds too (spawn hands it the whole queue): it goes when the writer goes.
    writer = parent_process()
    if writer is not None:
        threading.Thread(target=_exit_after, args=(writer,), daemon=True).start()


def _exit_after(writer: BaseProcess) -> None:
    writer.join()
    os._exit(1)


def _started() -> None:
    """Nothing to do: the helper has imported the pipeline, which is what takes time."""


def _prepare_chunk(number: int, journal: list[Entry | int], documents: list[Document | None], zone: ZoneInfo) -> bytes:
    """In the helper: learn what the writer's catalogue learnt, then prepare the documents, unless the
    writer has gone past them already.

    The result goes back pickled, for the writer to unpickle when it gets to it: unpickled on arrival,
    in the executor's thread, it held the writer's interpreter lock at random moments (0.6 ms a story).
    The stories themselves are not sent back: reading one again costs the writer less than unpickling it.
    """
    _copy.replay(journal)
    ready: list[Prepared | None] = [None] * len(documents)
    if _passed is None or number > _passed.value:
        for i, document in enumerate(documents):
            if document is None:
                continue
            try:
                ready[i] = prepare(read_story(document.body, document.content_type, guid=None, timezone=zone), _copy)
            except Exception:  # the writer does it again, and reports why; the rest of the chunk stands
                continue
    return pickle.dumps(ready, protocol=pickle.HIGHEST_PROTOCOL)


# A run of fewer stories than this is over, or nearly, by the time a helper has started.
HELPER_FROM = 64


def helper_wanted(stories: int) -> bool:
    """Whether a run of this many stories is worth a `Helper`: there are enough of them, and a core for it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores > 1 and stories >= HELPER_FROM


class Helper:
    """A second process that reads and extracts stories ahead of a batch's writer. It starts at once:
    importing the pipeline takes it most of a second, which the writer spends on its first stories
    (it does not wait for the helper until the helper has started)."""

    def __init__(self) -> None:
        # spawn, not fork: the writer holds database connections and may run threads (the progress bar).
        context = get_context("spawn")
        self._passed: c_longlong = context.Value("q", -1, lock=False)
        self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=(self._passed,))
        self.started: Future[None] = self._pool.submit(_started)  # done once it has started
        self._chunks = count()

    def __enter__(self) -> "Helper":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, journal: list[Entry | int], documents: list[Document | None], zone: ZoneInfo) -> "_Chunk":
        number = next(self._chunks)
        return _Chunk(self, number, self._pool.submit(_prepare_chunk, number, journal, documents, zone))

    def skip(self, number: int) -> None:
        """The writer went past chunk `number` (and those before) without the helper: it need not prepare them."""
        self._passed.value = max(self._passed.value, number)


class _Chunk:
    """Documents sent to the helper together, and what it made of them."""

    def __init__(self, helper: Helper, number: int, future: "Future[bytes]") -> None:
        self.helper, self.number, self.future = helper, number, future
        self.ready: list[Prepared | None] | None = None

    async def get(self, index: int) -> Prepared | None:
        if self.ready is None:
            if not (self.future.done() or self.helper.started.done()):
                self.helper.skip(self.number)  # still starting: the writer reads the story itself
                return None
            try:
                data: bytes = await asyncio.wrap_future(self.future)
                self.ready = pickle.loads(data)
            except Exception:  # a helper that died: the writer does it all
                self.ready = []
        return self.ready[index] if index < len(self.ready) else None


def _ahead(
    items: Iterator[Item], helper: Helper, memory: Memory, zone: ZoneInfo
) -> Iterator[tuple[Item, "_Slot | None"]]:
    """The items, each with where to find what the helper made of it; chunks are sent to the helper
    `AHEAD` in advance of the writer, each with the journal of the writer's memory so far."""
    window: deque[tuple[list[Item], _Chunk | None]] = deque()
    while True:
        while len(window) < AHEAD and (taken := list(islice(items, CHUNK))):
            documents = [item if isinstance(item, Document) else None for item in taken]
            try:
                sent: _Chunk | None = helper.submit(memory.take_journal(), documents, zone)
            except Exception:  # a helper that died takes no more
                sent = None
            window.append((taken, sent))
        if not window:
            return
        taken, sent = window.popleft()
        for index, item in enumerate(taken):
            yield item, None if sent is None else _Slot(sent, index)


@dataclass(frozen=True)
class _Slot:
    """Where the writer finds what the helper made of one document."""

    chunk: _Chunk
    index: int

    async def get(self) -> Prepared | None:
        return await self.chunk.get(self.index)


# --- the writer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    source: str
    status: str  # created, updated, unchanged or failed
    reason: str = ""
    prepared: bool = False  # its quotes were those the helper found


def _reason(exc: Exception) -> str:
    return exc.detail if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"


async def _save_in_batch(
    session: DbSession, item: Item, slot: _Slot | None, zone: ZoneInfo, deferred: Deferred
) -> _Outcome:
    """One story in its own savepoint of the batch's transaction; what it defers goes to `deferred`
    once the savepoint is released, so that a story that fails adds nothing there."""
    if isinstance(item, tuple):
        return _Outcome(item[0], "failed", item[1])
    mine = deferred.story()
    prepared = None if slot is None else await slot.get()
    try:
        story = read_story(item.body, item.content_type, guid=None, timezone=zone)
        async with savepoint(session):
            result = await save_story(session, story, now=utcnow(), deferred=mine, prepared=prepared)
    except TransactionLost:
        raise
    except Exception as exc:  # one bad story must never stop the batch
        return _Outcome(item.source, "failed", _reason(exc))
    deferred.merge(mine)
    return _Outcome(item.source, result.status, prepared=result.prepared)


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


Pending = tuple[Item, _Slot | None]


async def _next_batch(db: Database, items: Iterator[Pending], zone: ZoneInfo, memory: Memory) -> list[_Outcome]:
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
            for item, slot in items:
                taken.append(item)
                outcomes.append(await _save_in_batch(session, item, slot, zone, deferred))
                if len(taken) >= BATCH_STORIES[db.dialect] or time.monotonic() >= deadline:
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
    helper: Helper | None = None,
) -> BatchReport:
    """Store every story of `items`; each one is stored whole or not at all, and reported in order.
    With a `helper`, stories are read and extracted ahead of the writer in its process."""
    report = BatchReport()
    zone = ZoneInfo(timezone)
    source = iter(items)
    first = next(source, None)
    if first is None:
        return report
    # Read whole before the first batch, outside it (on SQLite a batch holds the write lock), and
    # before the helper is sent its first stories.
    memory = Memory(journal=helper is not None)
    async with transaction(db, read_only=True) as session:
        await memory.refresh(session)
    every = chain([first], source)
    remaining = ((item, None) for item in every) if helper is None else _ahead(every, helper, memory, zone)
    for pending in remaining:  # each batch then takes what it can of the rest
        for outcome in await _next_batch(db, chain([pending], remaining), zone, memory):
            report.counts[outcome.status] = report.counts.get(outcome.status, 0) + 1
            report.prepared += outcome.prepared
            if outcome.status == "failed":
                report.failures.append((outcome.source, outcome.reason))
            progress(outcome.source)
    return report
