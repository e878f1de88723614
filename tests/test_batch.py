"""Batch ingest: several stories to a transaction, each stored whole or not at all, reported as if alone."""

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.config import Settings
from app.db import Database as AppDatabase
from app.db import create_sync_engine, transaction
from app.demo.load import read_corpus
from app.models import (
    ArticleCreate,
    ArticleStatus,
    EntityPatch,
    article_table,
    change_table,
    entity_table,
    mention_table,
    quote_table,
    section_table,
    utcnow,
)
from app.pipeline.extract import ExtractedQuote
from app.pipeline.read import JSON
from app.services import batch, changes, store
from app.services.batch import Document, ingest_documents
from app.services.catalogue import Memory
from app.services.entities import update_entity
from app.services.ingest import prepare, save_story
from tests.conftest import Database, new_database
from tests.test_counts import assert_exact
from tests.test_ingest import speech, story


def document(body: dict[str, Any]) -> Document:
    return Document(body["guid"], JSON, orjson.dumps(body))


def stored(database: Database, sql: sa.Executable) -> list[Any]:
    """Rows as another connection sees them: only what was committed."""
    engine = create_sync_engine(database.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sql).all())
    finally:
        engine.dispose()


def guids_stored(database: Database, guids: Sequence[str]) -> list[str]:
    a = article_table
    return [row.guid for row in stored(database, sa.select(a.c.guid).where(a.c.guid.in_(guids)).order_by(a.c.id))]


def logged(database: Database, guids: Sequence[str]) -> list[tuple[str, str]]:
    """(guid, action) of the article changes of these stories, in change-log order."""
    a, c = article_table, change_table
    rows = stored(
        database,
        sa.select(a.c.guid, c.c.action)
        .join(a, a.c.public_id == c.c.object_id)
        .where(c.c.object == "article", a.c.guid.in_(guids))
        .order_by(c.c.seq),
    )
    return [(row.guid, row.action) for row in rows]


def fail_once_written(
    monkeypatch: pytest.MonkeyPatch, headline: str, then: Callable[[], object] = lambda: None
) -> None:
    """The story with this headline fails once all its rows are written (its version is the last of
    them); `then` runs just before."""
    add_version = store.add_version

    async def failing(session: Any, article_id: int, *args: Any) -> None:
        await add_version(session, article_id, *args)
        if args[3]["headline"] == headline:
            then()
            raise RuntimeError("disk on fire")

    monkeypatch.setattr("app.services.ingest.add_version", failing)


@pytest.fixture(autouse=True)
def one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test batch fits in one transaction, however slow the machine."""
    monkeypatch.setattr(batch, "BATCH_SECONDS", 3600.0)


async def test_a_story_failing_late_leaves_nothing_and_the_others_commit_together(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = story(guid="urn:test:batch:1", headline="القصة الأولى في الدفعة")
    bad = story(guid="urn:test:batch:2", headline="قصة تفشل في آخر خطوة", paragraphs=speech(2, "وديع الفاخوري"))
    three = story(guid="urn:test:batch:3", headline="القصة الثالثة في الدفعة")
    guids = [one["guid"], bad["guid"], three["guid"]]
    seen_while_writing: list[list[str]] = []
    fail_once_written(
        monkeypatch, bad["headline"], lambda: seen_while_writing.append(guids_stored(write_database, guids))
    )
    items: list[batch.Item] = [document(one), ("broken.json", "cannot read: gone"), document(bad), document(three)]
    report = await ingest_documents(write_app.state.db, items, timezone="UTC")

    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}
    assert report.failures == [("broken.json", "cannot read: gone"), (bad["guid"], "RuntimeError: disk on fire")]
    assert seen_while_writing == [[]], "the first story is not committed before the batch is"
    assert guids_stored(write_database, guids) == [one["guid"], three["guid"]]
    assert logged(write_database, guids) == [(one["guid"], "created"), (three["guid"], "created")]
    e = entity_table
    speaker = stored(write_database, sa.select(e.c.id).where(e.c.name_ar == "وديع الفاخوري"))
    assert speaker == [], "the failed story's new speaker went with it"


async def test_one_guid_twice_in_a_batch_is_created_then_updated(write_app: FastAPI, write_database: Database) -> None:
    first = story(guid="urn:test:batch:again", headline="قصة ترسل مرتين")
    changed = {**first, "headline": "قصة ترسل مرتين (محدث)"}
    items = [document(first), document(first), document(changed)]
    report = await ingest_documents(write_app.state.db, items, timezone="UTC")
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 1, "failed": 0}
    a = article_table
    rows = stored(write_database, sa.select(a.c.version, a.c.status).where(a.c.guid == first["guid"]))
    assert [tuple(row) for row in rows] == [(2, ArticleStatus.usable.value)]
    assert logged(write_database, [first["guid"]]) == [(first["guid"], "created"), (first["guid"], "updated")]


async def test_a_failed_transaction_is_written_again_story_by_story(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch whose commit fails keeps nothing; its stories are then written one per transaction."""
    record = changes.record
    calls: list[int] = []

    async def fails_once(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("connection reset")
        await record(*args, **kwargs)

    monkeypatch.setattr(batch, "record", fails_once)
    bodies = [story(guid=f"urn:test:batch:retry:{n}", headline=f"قصة إعادة رقم {n}") for n in range(3)]
    items = [*map(document, bodies), document({**bodies[0], "paragraphs": []})]
    report = await ingest_documents(write_app.state.db, items, timezone="UTC")
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1}
    assert [source for source, _ in report.failures] == [bodies[0]["guid"]]
    assert "paragraphs" in report.failures[0][1]
    guids = [body["guid"] for body in bodies]
    assert guids_stored(write_database, guids) == guids
    assert logged(write_database, guids) == [(guid, "created") for guid in guids]


async def test_a_batch_commits_every_so_many_stories(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "BATCH_STORIES", {"sqlite": 2, "postgresql": 2})
    bodies = [story(guid=f"urn:test:batch:every:{n}", headline=f"قصة الدفعات رقم {n}") for n in range(5)]
    guids = [body["guid"] for body in bodies]
    seen: dict[str, list[str]] = {}
    add_version = store.add_version

    async def watching(session: Any, article_id: int, *args: Any) -> None:
        seen[args[3]["headline"]] = guids_stored(write_database, guids)
        await add_version(session, article_id, *args)

    monkeypatch.setattr("app.services.ingest.add_version", watching)
    report = await ingest_documents(write_app.state.db, map(document, bodies), timezone="UTC")
    assert report.counts["created"] == 5
    assert [seen[body["headline"]] for body in bodies] == [[], [], guids[:2], guids[:2], guids[:4]]
    assert logged(write_database, guids) == [(guid, "created") for guid in guids]


def indexed_rows(database: Database) -> tuple[set[int], set[int]]:
    """The ids of the articles and of the quotes that the search index holds rows for."""
    if database.backend == "postgresql":
        articles, quotes = "SELECT article_id FROM search_article", "SELECT quote_id FROM search_quote"
    else:
        articles, quotes = "SELECT rowid FROM search_article", "SELECT rowid FROM search_quote"
    return {row[0] for row in stored(database, sa.text(articles))}, {
        row[0] for row in stored(database, sa.text(quotes))
    }


async def test_a_failing_story_adds_nothing_to_what_the_batch_writes_last(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Index rows and count changes wait for the end of the batch: those of a story that fails after
    writing all its rows go with it, and those of a story resent in the same batch are replaced."""
    one = story(guid="urn:test:batch:late:1", paragraphs=speech(2, "سليم القاسمي"))
    bad = story(guid="urn:test:batch:late:2", headline="قصة تفشل بعد كل صفوفها", paragraphs=speech(3, "سليم القاسمي"))
    fewer = {**one, "headline": "القصة الأولى بعد تعديلها", "paragraphs": speech(1, "سليم القاسمي")}
    fail_once_written(monkeypatch, bad["headline"])
    report = await ingest_documents(write_app.state.db, [document(one), document(bad), document(fewer)], timezone="UTC")

    assert report.counts == {"created": 1, "updated": 1, "unchanged": 0, "failed": 1}
    assert_exact(write_database.url)
    a, q = article_table, quote_table
    articles = {row.id for row in stored(write_database, sa.select(a.c.id))}
    quotes = {row.id for row in stored(write_database, sa.select(q.c.id))}
    ours = stored(write_database, sa.select(q.c.id, q.c.article_id).join(a).where(a.c.guid == one["guid"]))
    indexed_articles, indexed_quotes = indexed_rows(write_database)
    assert indexed_articles <= articles and indexed_quotes <= quotes, "no index row outlives what it indexed"
    assert {row.article_id for row in ours} <= indexed_articles and {row.id for row in ours} <= indexed_quotes
    assert len(ours) == 1
    speaker = stored(
        write_database, sa.select(entity_table.c.quote_count).where(entity_table.c.name_ar == "سليم القاسمي")
    )
    assert speaker == [(1,)], "counted once: the one quote of the resent story, none of the failed one"


async def test_a_section_made_by_a_failing_story_is_made_again_by_the_next(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch remembers the sections its stories resolved, but not one that a failed story created."""
    label = "قسم جديد للدفعة"
    bad = story(guid="urn:test:batch:section:1", headline="قصة تفشل وقسمها جديد", section=label)
    good = story(guid="urn:test:batch:section:2", headline="قصة تنجح في القسم نفسه", section=label)
    again = story(guid="urn:test:batch:section:3", headline="قصة ثالثة في القسم نفسه", section=label)
    fail_once_written(monkeypatch, bad["headline"])
    items = [document(bad), document(good), document(again)]
    report = await ingest_documents(write_app.state.db, items, timezone="UTC")

    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    a, s = article_table, section_table
    rows = stored(
        write_database,
        sa.select(a.c.guid, s.c.name_ar)
        .join(s, s.c.id == a.c.section_id)
        .where(a.c.guid.in_([good["guid"], again["guid"]])),
    )
    assert sorted(tuple(row) for row in rows) == [(good["guid"], label), (again["guid"], label)]


async def test_rows_written_in_bulk_store_their_values_as_the_article_does(
    write_app: FastAPI, write_database: Database
) -> None:
    """Quotes, mentions and agencies go through the driver on SQLite, converted by the columns' own
    processors: their publication times are stored exactly as the article's (lists compare them as stored)."""
    body = story(guid="urn:test:batch:stored-as", published_at="2026-11-25T09:30:00+03:00")
    report = await ingest_documents(write_app.state.db, [document(body)], timezone="UTC")
    assert report.counts["created"] == 1
    for table in ("quote", "mention", "article_agency"):
        rows = stored(
            write_database,
            sa.text(
                f"SELECT count(*), sum(CASE WHEN t.published_at = a.published_at THEN 1 ELSE 0 END) "
                f"FROM {table} t JOIN article a ON a.id = t.article_id WHERE a.guid = :guid"
            ).bindparams(guid=body["guid"]),
        )
        assert rows[0][0] > 0 and rows[0][0] == rows[0][1], table
    if write_database.backend == "sqlite":
        raw = stored(
            write_database,
            sa.text(
                "SELECT DISTINCT q.published_at FROM quote q JOIN article a ON a.id = q.article_id WHERE a.guid = :guid"
            ).bindparams(guid=body["guid"]),
        )
        assert [row[0] for row in raw] == ["2026-11-25 06:30:00.000000"]


async def test_a_speaker_made_by_one_story_is_found_by_the_next_unless_that_story_failed(
    write_app: FastAPI, write_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's catalogue is kept in memory: the entities its stories create are found by the stories
    after them (not made twice, as `name-2`), except those of a story that failed, which are made again."""
    first = story(guid="urn:test:batch:speaker:1", headline="أول ظهور للمتحدث", paragraphs=speech(2, "صفوان الدباغ"))
    second = story(guid="urn:test:batch:speaker:2", headline="ظهور ثان للمتحدث", paragraphs=speech(2, "صفوان الدباغ"))
    failing = story(guid="urn:test:batch:speaker:3", headline="متحدث قصته تفشل", paragraphs=speech(2, "نادر الطحان"))
    after = story(guid="urn:test:batch:speaker:4", headline="المتحدث بعد الفشل", paragraphs=speech(2, "نادر الطحان"))
    fail_once_written(monkeypatch, failing["headline"])
    report = await ingest_documents(
        write_app.state.db, [document(s) for s in (first, second, failing, after)], timezone="UTC"
    )

    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1}
    e, q, a = entity_table, quote_table, article_table
    speakers = stored(
        write_database,
        sa.select(a.c.guid, e.c.slug, e.c.name_ar)
        .join(q, q.c.article_id == a.c.id)
        .join(e, e.c.id == q.c.speaker_id)
        .where(a.c.guid.in_([first["guid"], second["guid"], after["guid"]]))
        .distinct(),
    )
    assert sorted((row.guid, row.name_ar) for row in speakers) == [
        (first["guid"], "صفوان الدباغ"),
        (second["guid"], "صفوان الدباغ"),
        (after["guid"], "نادر الطحان"),
    ]
    assert len({row.slug for row in speakers}) == 2
    made = stored(write_database, sa.select(e.c.slug).where(e.c.name_ar.in_(["صفوان الدباغ", "نادر الطحان"])))
    assert len(made) == 2


# --- the helper process ---------------------------------------------------------------------


def _demo_documents(prefix: str) -> list[Document]:
    """The demo corpus's stories under new guids: stories that name catalogued entities."""
    return [
        document({**article.model_dump(mode="json", include=set(ArticleCreate.model_fields)), "guid": f"{prefix}{n}"})
        for n, article in enumerate(read_corpus().articles)
    ]


def _what_is_stored(database: Database, guids: Sequence[str]) -> dict[str, Any]:
    """Everything the batch wrote of these stories, by guid and slug rather than by id."""
    a, q, e, m = article_table, quote_table, entity_table, mention_table
    speaker = e.alias("speaker")
    quotes = stored(
        database,
        sa.select(a.c.guid, a.c.version, speaker.c.slug, *[q.c[name] for name in _QUOTE_COLUMNS])
        .join(q, q.c.article_id == a.c.id)
        .outerjoin(speaker, speaker.c.id == q.c.speaker_id)
        .where(a.c.guid.in_(guids))
        .order_by(a.c.guid, q.c.position),
    )
    mentions = stored(
        database,
        sa.select(a.c.guid, e.c.slug, m.c.role, m.c.count)
        .join(m, m.c.article_id == a.c.id)
        .join(e, e.c.id == m.c.entity_id)
        .where(a.c.guid.in_(guids))
        .order_by(a.c.guid, e.c.slug, m.c.role),
    )
    entities = stored(
        database,
        sa.select(e.c.slug, e.c.kind, e.c.name_ar, e.c.name_en, e.c.title, e.c.quote_count, e.c.article_count).order_by(
            e.c.slug
        ),
    )
    return {
        "quotes": [tuple(row) for row in quotes],
        "mentions": [tuple(row) for row in mentions],
        "entities": [tuple(row) for row in entities],
        "log": logged(database, guids),
    }


_QUOTE_COLUMNS = (
    "position", "text", "kind", "cue", "speaker_mention", "speaker_title", "paragraph", "start_offset", "end_offset",
    "confidence", "method",
)  # fmt: skip


def test_a_helper_process_changes_nothing_of_what_is_stored(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same documents into two new databases, by the writer alone and with a helper reading and
    extracting ahead of it: the same outcome, row for row. Among them, a speaker first quoted with
    his title and then without it: the helper, which learns of new entities only once their batch is
    committed, extracts the second story without the title, and the writer must extract it again."""
    minister = story(
        guid="urn:test:helper:minister",
        headline="وزير المالية يعلن موازنة جديدة",
        paragraphs=speech(2, "صفوان الدباغ"),
    )
    again = story(
        guid="urn:test:helper:again",
        headline="الدباغ يتحدث مرة أخرى",
        paragraphs=["وقال صفوان الدباغ للصحفيين إن «الموازنة الجديدة ستنشر الأسبوع المقبل»."],
    )
    demo = _demo_documents("urn:test:helper:demo:")
    items: list[batch.Item] = [
        *demo[:20],
        document(minister),
        document(again),
        Document("broken.json", JSON, b"{broken"),
        ("gone.json", "cannot read: gone"),
        document({**minister, "paragraphs": [*minister["paragraphs"], "وكان الوزير قد زار الميناء أمس."]}),
        *demo[20:],
    ]
    guids = [minister["guid"], again["guid"], *(d.source for d in demo)]

    async def ingest(url: str, helper: batch.Helper | None) -> batch.BatchReport:
        db = AppDatabase(Settings(database_url=url))
        try:
            # The extractor makes entities of some of what the demo's speakers are called: made first,
            # they are in the catalogue the helper starts from.
            await ingest_documents(db, _demo_documents("urn:test:helper:before:"), timezone="UTC")
            if helper is not None:
                await asyncio.wrap_future(helper.started)  # so that it prepares every story
            return await ingest_documents(db, items, timezone="UTC", helper=helper)
        finally:
            await db.dispose()

    outcomes = []
    for helped in (False, True):
        with new_database(backend, tmp_path_factory) as database, ExitStack() as stack:
            helper = stack.enter_context(batch.Helper()) if helped else None
            report = asyncio.run(ingest(database.url, helper))
            outcomes.append((report.counts, report.failures, _what_is_stored(database, guids)))
            if helper is not None:
                # All but the two unreadable documents, and the two stories that name the minister after
                # the first: the helper knows nothing of him, and they are extracted again.
                assert report.prepared == len(items) - 4

    alone, helped_out = outcomes
    assert alone[0] == {"created": len(demo) + 2, "updated": 1, "unchanged": 0, "failed": 2}
    assert helped_out == alone
    titles = [row[8] for row in alone[2]["quotes"] if row[0] == again["guid"]]
    assert titles == ["وزير المالية"], "the second story's speaker has the title the first gave him"


async def test_a_story_takes_its_prepared_quotes_only_if_found_against_its_own_catalogue(
    write_app: FastAPI, write_database: Database
) -> None:
    """`save_story` takes the quotes `prepare` found if the catalogue it finds for the story holds the same
    entities, unchanged since, and extracts them again if not: when the entities differ, and when one
    of them was edited after the quotes were found. A quote the extractor would never find tells which."""
    db = write_app.state.db
    memory = Memory()
    marker = "نص لا يجده المستخرج"
    stored_texts: list[list[str]] = []
    for n, case in enumerate(("same", "other entities", "entity edited")):
        body = ArticleCreate.model_validate(orjson.loads(_demo_documents(f"urn:test:prepared:{n}:")[3].body))
        async with transaction(db) as session:
            await memory.refresh(session)
            prepared = prepare(body, memory)
            assert prepared.entities and prepared.quotes, "the story names catalogued entities, and quotes"
            first = prepared.quotes[0]
            quote = ExtractedQuote(
                marker, first.kind, first.cue, first.paragraph, first.start, first.end,
                first.speaker, first.mention, first.confidence,
            )  # fmt: skip
            prepared = replace(prepared, quotes=[quote, *prepared.quotes[1:]])
            if case == "other entities":
                prepared = replace(prepared, entities=prepared.entities[1:])
            if case == "entity edited":
                await update_entity(session, prepared.entities[-1], EntityPatch(title="لقب جديد"), now=utcnow())
                await memory.refresh(session)
            await save_story(session, body, now=utcnow(), memory=memory, prepared=prepared)
        q, a = quote_table, article_table
        rows = stored(
            write_database,
            sa.select(q.c.text).join(a, a.c.id == q.c.article_id).where(a.c.guid == body.guid).order_by(q.c.position),
        )
        stored_texts.append([row.text for row in rows])
    taken, *extracted = stored_texts
    assert marker in taken
    for texts in extracted:
        assert marker not in texts and len(texts) == len(taken)


def _running(pid: int) -> bool:
    """Whether the process is alive (an exited child nobody has reaped yet is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_helper_goes_when_its_writer_is_killed() -> None:
    """A writer killed outright (a timeout's SIGKILL) must not leave its helper behind: it would wait for
    ever to hand back a chunk."""
    script = (
        "import multiprocessing, os, signal\n"
        "from app.services.batch import Helper\n"
        "helper = Helper()\n"
        "helper.started.result(timeout=60)\n"
        "print(*(child.pid for child in multiprocessing.active_children()), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    pids = [int(pid) for pid in done.stdout.split()]
    assert pids, done.stderr
    deadline = time.monotonic() + 30
    while any(map(_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_running, pids))
