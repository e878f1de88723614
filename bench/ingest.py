"""End-to-end ingest throughput: parse, extract, resolve, store, as `python -m app ingest` does it.

    python -m bench.ingest [--stories 300] [--postgres postgresql://user@host/db]

Stories of ~800 words are built from the demo corpus paragraphs (fictional), each
with a new guid, and sent through the same path as `python -m app ingest`, into a
fresh SQLite file and, if a PostgreSQL server is given, a fresh database on it.
Extraction alone is measured by `python -m app.pipeline.evaluate --bench`.
"""

import argparse
import asyncio
import tempfile
import time
from itertools import cycle
from pathlib import Path

import orjson

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


async def measure(url: str, documents: list[Document]) -> float:
    upgrade(url)
    settings = Settings(database_url=url)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created and dropped")
    args = parser.parse_args()
    documents = stories(args.stories)
    with tempfile.TemporaryDirectory() as folder:
        rate = asyncio.run(measure(f"sqlite:///{Path(folder) / 'bench.db'}", documents))
        print(f"sqlite      {rate:7.1f} stories/s ({args.stories} stories of ~800 words)")
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            rate = asyncio.run(measure(url, documents))
            print(f"postgresql  {rate:7.1f} stories/s ({args.stories} stories of ~800 words)")


if __name__ == "__main__":
    main()
