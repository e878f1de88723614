"""End-to-end ingest throughput: parse, extract, resolve, store, as `python -m app ingest` does it.

    python -m bench.ingest [--stories 300] [--postgres postgresql://user@host/db]
    python -m bench.ingest --copy-of sqlite:///bench.db [--copy-of postgresql://user@host/wire_bench]
    python -m bench.ingest --api [...]     # one POST /v1/articles per story instead
    python -m bench.ingest --no-helper [...]   # the writer alone, without the helper process

Stories of ~800 words are built from the demo corpus paragraphs (fictional), each
with a new guid, and sent through the same path as `python -m app ingest`, into a
fresh SQLite file and, if a PostgreSQL server is given, a fresh database on it;
or, with `--copy-of`, into a copy of a database already loaded (`bench/corpus.py`:
100,000 stories, 20,000 entities), where a story meets a full-size catalogue.
With `--api`, each story is a POST /v1/articles through the app in this process
(a transaction and a commit per story, as a desk system sending stories one by one); the
clock starts after the first story, whose request reads the whole catalogue into the process.
Without `--api`, a helper process reads and extracts the stories ahead of the writer whenever
`python -m app ingest` would start one (two cores or more, 64 stories or more); it is started as the
clock starts, so its second of starting up is counted. Extraction alone is measured by
`python -m app.pipeline.evaluate --bench`.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from itertools import cycle
from pathlib import Path

import httpx
import orjson
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database, transaction
from app.demo.load import load_demo, read_corpus
from app.main import create_app
from app.migrate import upgrade
from app.models import ArticleCreate, Scope, utcnow
from app.pipeline.read import JSON
from app.services.batch import Document, Helper, helper_wanted, ingest_documents
from app.services.keys import create_key
from bench import scratch_postgres


def stories(count: int, words: int = 800) -> list[Document]:
    corpus = read_corpus()
    documents = []
    articles = cycle(corpus.articles)
    for n in range(count):
        template = next(articles)
        paragraphs: list[str] = []
        while sum(len(p.split()) for p in paragraphs) < words:
            paragraphs.extend(next(articles).paragraphs if paragraphs else template.paragraphs)
        story = ArticleCreate.model_validate(
            {
                **template.model_dump(include=set(ArticleCreate.model_fields)),
                "guid": f"urn:bench:{n}",
                "paragraphs": paragraphs,
            }
        )
        documents.append(Document(f"bench:{n}", JSON, orjson.dumps(story.model_dump(mode="json"))))
    return documents


async def measure(
    url: str, documents: list[Document], *, fresh: bool = True, api: bool = False, helper: bool = True
) -> tuple[float, str]:
    """Stories per second, and a note on how they were written."""
    upgrade(url)
    settings = Settings(database_url=url)
    if fresh:
        await load_demo(settings, only_if_empty=True)
    if api:
        return await _post_all(settings, documents), "POSTed"
    db = Database(settings)
    try:
        with Helper() if helper and helper_wanted(len(documents)) else nullcontext() as helping:
            start = time.perf_counter()
            report = await ingest_documents(db, documents, timezone="UTC", helper=helping)
            elapsed = time.perf_counter() - start
    finally:
        await db.dispose()
    assert report.counts["created"] == len(documents), report
    way = f"ingested, the helper finding the quotes of {report.prepared}" if helping else "ingested, no helper"
    return len(documents) / elapsed, way


async def _post_all(settings: Settings, documents: list[Document]) -> float:
    unlimited = "1000000000/minute"
    app = create_app(settings.model_copy(update={"rate_limit": unlimited, "anonymous_rate_limit": unlimited}))
    async with app.router.lifespan_context(app):
        async with transaction(app.state.db) as session:
            key, _ = await create_key(session, name="bench", scopes=[Scope.ingest], now=utcnow())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers={"X-API-Key": key}) as http:
            start = 0.0
            for n, document in enumerate(documents):
                sent = await http.post(
                    "/v1/articles", content=document.body, headers={"Content-Type": document.content_type}
                )
                assert sent.status_code == 201, sent.text
                if n == 0:  # the clock starts after the first: a process reads its catalogue whole once
                    start = time.perf_counter()
            return (len(documents) - 1) / (time.perf_counter() - start)


@contextmanager
def _copy(url: str) -> Iterator[str]:
    """A scratch copy of a database, removed afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with scratch_postgres(url, template=parsed.database) as copy:
            yield copy
        return
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "copy.db"
        shutil.copyfile(str(parsed.database), target)
        yield f"sqlite:///{target}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created and dropped")
    parser.add_argument(
        "--copy-of",
        action="append",
        default=[],
        metavar="URL",
        help="ingest into a copy of this loaded database (SQLite file or PostgreSQL database) instead",
    )
    parser.add_argument("--api", action="store_true", help="POST each story to /v1/articles instead")
    parser.add_argument("--no-helper", action="store_true", help="the writer alone: no helper process")
    args = parser.parse_args()
    documents = stories(args.stories)
    options = {"api": args.api, "helper": not args.no_helper}
    if args.copy_of:
        # New guids: the corpus's own stories are numbered like the bench's.
        documents = [
            Document(d.source, d.content_type, d.body.replace(b"urn:bench:", b"urn:bench-new:")) for d in documents
        ]
        for url in args.copy_of:
            with _copy(url) as copy:
                rate, way = asyncio.run(measure(copy, documents, fresh=False, **options))
            backend = make_url(url).get_backend_name()
            print(f"{backend:11} {rate:7.1f} stories/s ({args.stories} stories {way}, into a copy of {url})")
        return
    with tempfile.TemporaryDirectory() as folder:
        rate, way = asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", documents, **options))
        print(f"sqlite      {rate:7.1f} stories/s ({args.stories} stories of ~800 words {way})")
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            rate, way = asyncio.run(measure(url, documents, **options))
            print(f"postgresql  {rate:7.1f} stories/s ({args.stories} stories of ~800 words {way})")


if __name__ == "__main__":
    main()
