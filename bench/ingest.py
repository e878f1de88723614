"""End-to-end ingest throughput: parse, extract, resolve, store, as `python -m app ingest` does it.

    python -m bench.ingest [--stories 300] [--postgres postgresql://user@host/db]
    python -m bench.ingest --copy-of sqlite:///bench.db [--copy-of postgresql://user@host/wire_bench]

Stories of ~800 words are built from the demo corpus paragraphs (fictional), each
with a new guid, and sent through the same path as `python -m app ingest`, into a
fresh SQLite file and, if a PostgreSQL server is given, a fresh database on it;
or, with `--copy-of`, into a copy of a database already loaded (`bench/corpus.py`:
100,000 stories, 20,000 entities), where a story meets a full-size catalogue.
Extraction alone is measured by `python -m app.pipeline.evaluate --bench`.
"""

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import cycle
from pathlib import Path

import orjson
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Database
from app.demo.load import load_demo, read_corpus
from app.migrate import upgrade
from app.models import ArticleCreate
from app.pipeline.read import JSON
from app.services.batch import Document, ingest_documents
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


async def measure(url: str, documents: list[Document], *, fresh: bool = True) -> float:
    upgrade(url)
    settings = Settings(database_url=url)
    if fresh:
        await load_demo(settings, only_if_empty=True)
    db = Database(settings)
    try:
        start = time.perf_counter()
        report = await ingest_documents(db, documents, timezone="UTC")
        elapsed = time.perf_counter() - start
    finally:
        await db.dispose()
    assert report.counts["created"] == len(documents), report
    return len(documents) / elapsed


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
    args = parser.parse_args()
    documents = stories(args.stories)
    if args.copy_of:
        # New guids: the corpus's own stories are numbered like the bench's.
        documents = [
            Document(d.source, d.content_type, d.body.replace(b"urn:bench:", b"urn:bench-new:")) for d in documents
        ]
        for url in args.copy_of:
            with _copy(url) as copy:
                rate = asyncio.run(measure(copy, documents, fresh=False))
            backend = make_url(url).get_backend_name()
            print(f"{backend:11} {rate:7.1f} stories/s ({args.stories} stories into a copy of {url})")
        return
    with tempfile.TemporaryDirectory() as folder:
        rate = asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", documents))
        print(f"sqlite      {rate:7.1f} stories/s ({args.stories} stories of ~800 words)")
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            rate = asyncio.run(measure(url, documents))
            print(f"postgresql  {rate:7.1f} stories/s ({args.stories} stories of ~800 words)")


if __name__ == "__main__":
    main()
