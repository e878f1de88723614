"""A large, deterministic, fictional corpus loaded straight into the tables (not through the API).

    python bench/corpus.py --articles 100000 [--database-url URL]

Stories are stitched from the demo corpus's paragraphs (all invented) with their
hand-annotated quotes, which keep their offsets; speakers are drawn from 20,000
generated entities whose names recombine the demo's invented names. Search rows
and the stored counts of entities and sections are written too. The same seed gives
the same corpus on SQLite and PostgreSQL.
"""

import argparse
import bisect
import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.config import Settings
from app.db import create_sync_engine
from app.demo.load import read_corpus
from app.migrate import upgrade
from app.models import (
    article_table,
    entity_name_table,
    entity_table,
    mention_table,
    public_id_for,
    quote_table,
    section_table,
)
from app.pipeline.analyse import first_word, name_key
from app.search.text import index_text
from app.services.counters import recount_all

BATCH = 5000
START = datetime(2025, 1, 1, tzinfo=UTC)


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(url: str, *, articles: int, entities: int, seed: int = 2026) -> dict[str, float]:
    """Replace whatever the database holds by the generated corpus; returns counts and seconds."""
    started = time.perf_counter()
    upgrade(url)
    engine = create_sync_engine(url)
    rng = random.Random(seed)
    demo = read_corpus()
    stories = [s for s in demo.articles if s.status == "usable"]
    people = [e for e in demo.entities if e.kind.value == "person" and e.name_ar and e.name_en]
    firsts = sorted({(p.name_ar.split()[0], p.name_en.split()[0]) for p in people if p.name_ar and p.name_en})
    lasts = sorted({(p.name_ar.split()[-1], p.name_en.split()[-1]) for p in people if p.name_ar and p.name_en})
    # Paragraph index texts are computed once: generated stories reuse the demo's paragraphs.
    indexed = {p: index_text(p) for s in stories for p in s.paragraphs}
    with engine.begin() as conn:
        for table in (
            "quote",
            "mention",
            "article_agency",
            "article_version",
            "change",
            "article",
            "entity_name",
            "entity",
            "section",
        ):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        for table in ("search_article", "search_quote"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        sections = [
            conn.execute(
                sa.insert(section_table)
                .values(slug=s.slug, name_ar=s.name_ar, name_en=s.name_en)
                .returning(section_table.c.id)
            ).scalar_one()
            for s in demo.sections
        ]
        entity_rows = []
        for n in range(entities):
            first, last = rng.choice(firsts), rng.choice(lasts)
            entity_rows.append(
                {
                    "id": n + 1,
                    "slug": f"gen-{n + 1}",
                    "kind": "person",
                    "name_ar": f"{first[0]} {last[0]}",
                    "name_en": f"{first[1]} {last[1]}",
                    "aliases": [last[0], last[1]],
                    "title": None,
                }
            )
        for batch in _batches(iter(entity_rows)):
            conn.execute(sa.insert(entity_table), batch)
            keys = [
                {"entity_id": row["id"], "norm": k, "first": first_word(k)}
                for row in batch
                for k in {name_key(row["name_ar"]), name_key(row["name_en"])}
            ]
            conn.execute(sa.insert(entity_name_table), keys)
        # Popular speakers are quoted far more often than the rest, as in real wires.
        speaker_ids = list(range(1, entities + 1))
        cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(entities)))
        total = cumulative[-1]
        quote_index = {q.text: index_text(q.text) for story in stories for q in story.quotes}
        quote_id = 0
        article_rows: list[dict[str, Any]] = []
        quote_rows: list[dict[str, Any]] = []
        mention_rows: list[dict[str, Any]] = []
        search_articles: list[dict[str, Any]] = []
        search_quotes: list[dict[str, Any]] = []

        def flush() -> None:
            if article_rows:
                conn.execute(sa.insert(article_table), article_rows)
            if quote_rows:
                conn.execute(sa.insert(quote_table), quote_rows)
            if mention_rows:
                conn.execute(sa.insert(mention_table), mention_rows)
            _search(conn, search_articles, search_quotes)
            for rows in (article_rows, quote_rows, mention_rows, search_articles, search_quotes):
                rows.clear()

        for n in range(articles):
            # One story with its quotes, and a paragraph or two of another for variety (about 10 quotes each).
            parts = rng.sample(stories, 2)
            extra = parts[1].paragraphs[: rng.randint(1, 2)]
            paragraphs = [*parts[0].paragraphs, *extra]
            published = START + timedelta(minutes=7 * n + rng.randrange(7))
            article_id = n + 1
            article_rows.append(
                {
                    "id": article_id,
                    "public_id": public_id_for(f"urn:bench:{n}"),
                    "guid": f"urn:bench:{n}",
                    "version": 1,
                    "language": parts[0].language,
                    "headline": parts[0].headline,
                    "summary": parts[0].summary,
                    "body": paragraphs,
                    "byline": parts[0].byline,
                    "desk": parts[0].desk,
                    "dateline": parts[0].dateline,
                    "published_at": published,
                    "updated_at": published,
                    "status": "usable",
                    "section_id": rng.choice(sections),
                    "images": [],
                    "content_hash": "",
                }
            )
            search_articles.append(
                {
                    "id": article_id,
                    "headline": index_text(parts[0].headline),
                    "body": " ".join([index_text(parts[0].summary or ""), *(indexed[p] for p in paragraphs)]),
                }
            )
            speakers: set[int] = set()
            for position, quote in enumerate(parts[0].quotes):
                start = parts[0].paragraphs[quote.paragraph].find(quote.text)
                speaker = speaker_ids[bisect.bisect(cumulative, rng.random() * total)]
                speakers.add(speaker)
                quote_id += 1
                quote_rows.append(
                    {
                        "id": quote_id,
                        "article_id": article_id,
                        "published_at": published,
                        "position": position,
                        "text": quote.text,
                        "kind": quote.kind.value,
                        "cue": quote.cue,
                        "speaker_id": speaker,
                        "speaker_mention": quote.mention,
                        "speaker_title": quote.title,
                        "paragraph": quote.paragraph,
                        "start_offset": start,
                        "end_offset": start + len(quote.text),
                        "confidence": quote.confidence,
                        "method": "editor",
                    }
                )
                search_quotes.append({"id": quote_id, "text": quote_index[quote.text]})
            mention_rows += [
                {"article_id": article_id, "entity_id": s, "role": "speaker", "count": 1, "published_at": published}
                for s in speakers
            ]
            if len(article_rows) >= BATCH // 5:
                flush()
        flush()
        # The rows went in behind the services, which keep the stored counts: count them once, here.
        if engine.dialect.name == "postgresql":
            # Without statistics on the rows just loaded, PostgreSQL counted every entity's quotes with a
            # scan of the quote table (half an hour at 100k stories). ANALYZE sees this transaction's rows.
            conn.execute(sa.text("ANALYZE article, quote, mention, entity, section"))
        for statement in recount_all():
            conn.execute(statement)
        if engine.dialect.name == "postgresql":
            for table in ("article", "quote", "entity"):
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    engine.dispose()
    if engine.dialect.name == "postgresql":
        analyze = create_sync_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        with analyze.connect() as conn:
            # VACUUM too, as autovacuum would have by then: without a visibility map, index-only scans
            # fetch every row from the heap as well, which a database in service does not.
            conn.execute(sa.text("VACUUM ANALYZE"))
        analyze.dispose()
    return {"articles": articles, "quotes": quote_id, "entities": entities, "seconds": time.perf_counter() - started}


def _search(conn: sa.Connection, articles: list[dict[str, Any]], quotes: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        if articles:
            conn.execute(
                sa.text(
                    "INSERT INTO search_article (article_id, document) VALUES (:id, "
                    "setweight(to_tsvector('simple', :headline), 'A') || setweight(to_tsvector('simple', :body), 'B'))"
                ),
                articles,
            )
        if quotes:
            conn.execute(
                sa.text("INSERT INTO search_quote (quote_id, document) VALUES (:id, to_tsvector('simple', :text))"),
                quotes,
            )
    else:
        if articles:
            conn.execute(
                sa.text("INSERT INTO search_article (rowid, headline, body) VALUES (:id, :headline, :body)"), articles
            )
        if quotes:
            conn.execute(sa.text("INSERT INTO search_quote (rowid, text) VALUES (:id, :text)"), quotes)


def quoted_speakers(conn: sa.Connection, count: int, skip: int = 0) -> list[int]:
    """Speakers by their number of quotes, most first (ties by id), `skip` of them left out."""
    ranked = sa.text(
        "SELECT speaker_id FROM quote WHERE speaker_id IS NOT NULL "
        "GROUP BY speaker_id ORDER BY count(*) DESC, speaker_id LIMIT :count OFFSET :skip"
    )
    return [int(speaker) for speaker in conn.execute(ranked, {"count": count, "skip": skip}).scalars()]


def most_quoted_speaker(conn: sa.Connection) -> int:
    """The entity with the most quotes: the longest list to page through."""
    return quoted_speakers(conn, 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--database-url", default=Settings().database_url)
    args = parser.parse_args()
    result = load(args.database_url, articles=args.articles, entities=args.entities)
    print(", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
