"""Ingesting many stories from files: each story its own transaction, failures reported, never fatal."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from app.db import Database, transaction
from app.errors import AppError
from app.models import utcnow
from app.pipeline.read import JSON, NINJS, TEXT, read_story
from app.services.ingest import save_story

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


async def ingest_documents(
    db: Database,
    items: Iterable[Document | tuple[str, str]],
    *,
    timezone: str,
    progress: Callable[[str], None] = lambda source: None,
) -> BatchReport:
    report = BatchReport()
    zone = ZoneInfo(timezone)
    for item in items:
        if isinstance(item, tuple):
            report.counts["failed"] += 1
            report.failures.append(item)
            progress(item[0])
            continue
        try:
            story = read_story(item.body, item.content_type, guid=None, timezone=zone)
            async with db.writing(), transaction(db) as session:
                result = await save_story(session, story, now=utcnow())
            report.counts[result.status] = report.counts.get(result.status, 0) + 1
        except Exception as exc:  # one bad story must never stop the batch
            report.counts["failed"] += 1
            reason = exc.detail if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
            report.failures.append((item.source, reason))
        progress(item.source)
    return report
