"""Partners polling while stories arrive: how many polls are answered 304, and what a poll costs.

    python -m bench.churn [--rounds 20] [--postgres postgresql://user@host/db]

A fresh database gets the demo corpus. Then, each round, one story arrives in a
section picked at random (seeded), and a partner polls every section's list,
feed and quotes, a sample of articles, and ten people's pages and quotes, with
the ETag it got last time (If-None-Match). Printed: the share of polls answered
304 and SQL statements per poll. All in process through the ASGI app (no
server, no timing), so the figures are the same on a busy machine; run it on
two commits to compare them.
"""

import argparse
import asyncio
import random
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.config import Settings
from app.db import transaction
from app.demo.load import load_demo, read_corpus
from app.main import create_app
from app.migrate import upgrade
from app.models import ArticleCreate, Scope, utcnow
from app.services.keys import create_key
from bench import scratch_postgres

_SAMPLE_ARTICLES = 40


async def measure(url: str, rounds: int) -> tuple[int, int, int]:
    """Polls, polls answered 304, statements sent while polling."""
    upgrade(url)
    settings = Settings(database_url=url, rate_limit="1000000/minute", anonymous_rate_limit="1000000/minute")
    await load_demo(settings, only_if_empty=True)
    app = create_app(settings)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    async with app.router.lifespan_context(app):
        async with transaction(app.state.db) as session:
            desk, _ = await create_key(session, name="desk", scopes=[Scope.ingest], now=utcnow())
            reader, _ = await create_key(session, name="partner", scopes=[Scope.read], now=utcnow())
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers={"X-API-Key": desk}) as editor,
            httpx.AsyncClient(transport=transport, base_url="http://bench", headers={"X-API-Key": reader}) as partner,
        ):
            sections = [s["slug"] for s in (await partner.get("/v1/sections")).json()["items"]]
            articles = (await partner.get("/v1/articles", params={"limit": _SAMPLE_ARTICLES})).json()["items"]
            people = (await partner.get("/v1/entities", params={"kind": "person", "limit": 10})).json()["items"]
            urls = [
                *(f"/v1/articles?section={slug}" for slug in sections),
                *(f"/v1/sections/{slug}/feed.json" for slug in sections),
                *(f"/v1/quotes?section={slug}" for slug in sections),
                *(f"/v1/articles/{article['id']}" for article in articles),
                *(f"/v1/entities/{person['id']}" for person in people),
                *(f"/v1/quotes?speaker={person['id']}" for person in people),
            ]
            tags = {url: (await partner.get(url)).headers["etag"] for url in urls}
            templates = read_corpus().articles
            rng = random.Random(5)
            polls = not_modified = 0
            engine = app.state.db.sync_engine
            for n in range(rounds):
                template = rng.choice(templates)
                story = ArticleCreate.model_validate(
                    {
                        **template.model_dump(include=set(ArticleCreate.model_fields)),
                        "guid": f"urn:bench:churn:{n}:{uuid.uuid4().hex[:6]}",
                        "section": rng.choice(sections),
                    }
                )
                sent = await editor.post("/v1/articles", json=story.model_dump(mode="json"))
                assert sent.status_code == 201, sent.text
                sa.event.listen(engine, "before_cursor_execute", count)
                try:
                    for url in urls:
                        response = await partner.get(url, headers={"If-None-Match": tags[url]})
                        assert response.status_code in (200, 304), (url, response.text)
                        tags[url] = response.headers["etag"]
                        polls += 1
                        not_modified += response.status_code == 304
                finally:
                    sa.event.remove(engine, "before_cursor_execute", count)
    return polls, not_modified, statements


def report(name: str, figures: tuple[int, int, int]) -> None:
    polls, not_modified, statements = figures
    print(
        f"{name:<11} {polls} polls: {not_modified / polls:6.1%} answered 304, "
        f"{statements / polls:5.2f} SQL statements per poll"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="stories that arrive, one per round of polls")
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created and dropped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", asyncio.run(measure(f"sqlite:///{Path(folder) / 'churn.db'}", args.rounds)))
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            report("postgresql", asyncio.run(measure(url, args.rounds)))


if __name__ == "__main__":
    main()
