"""Search latency on a large generated corpus: p50 and p99 per typical query, on SQLite and PostgreSQL.

    python -m bench.search [--articles 100000] [--postgres postgresql://user@host/db] [--requests 200]

Loads bench/corpus.py's corpus (unless --reuse), then sends each query through the
application in-process, one request at a time, and prints milliseconds.
"""

import argparse
import asyncio
import statistics
import time

import httpx

from app.config import Settings
from app.main import create_app
from bench import scratch_postgres
from bench.corpus import load

# Every answer made afresh: a repeated request is otherwise answered from the response cache.
_AFRESH = {"Cache-Control": "no-cache"}
QUERIES: list[tuple[str, str, dict[str, str | int]]] = [
    ("one Arabic word", "/v1/articles", {"q": "الموازنة"}),
    ("two words + section", "/v1/articles", {"q": "وزيرة المالية", "section": "economy"}),
    ("phrase", "/v1/articles", {"q": '"مدينة الريح"'}),
    ("OR and exclusion", "/v1/articles", {"q": "الميناء OR المطار -الحكومة"}),
    ("prefix", "/v1/articles", {"q": "اقتص*"}),
    ("English word, relevance", "/v1/articles", {"q": "ministry", "sort": "relevance"}),
    ("quotes, two words", "/v1/quotes", {"q": "الحكومة الموازنة"}),
    ("entity, misspelt", "/v1/entities", {"q": "سامر الحدات"}),
    ("everything", "/v1/search", {"q": "الموازنة", "limit": 5}),
]


async def measure(url: str, requests: int) -> list[tuple[str, float, float]]:
    app = create_app(Settings(database_url=url, rate_limit="100000000/minute", anonymous_rate_limit="100000000/minute"))
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path, params in QUERIES:
                for _ in range(5):
                    assert (await client.get(path, params=params, headers=_AFRESH)).status_code == 200
                timings = []
                for _ in range(requests):
                    start = time.perf_counter()
                    await client.get(path, params=params, headers=_AFRESH)
                    timings.append((time.perf_counter() - start) * 1000)
                timings.sort()
                results.append((name, statistics.median(timings), timings[int(len(timings) * 0.99) - 1]))
    return results


def report(label: str, results: list[tuple[str, float, float]]) -> None:
    print(f"\n{label}")
    print(f"{'query':28} {'p50 ms':>8} {'p99 ms':>8}")
    for name, p50, p99 in results:
        print(f"{name:28} {p50:8.1f} {p99:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sqlite", default="sqlite:///bench-search.db")
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created and dropped")
    parser.add_argument("--reuse", action="store_true", help="keep the SQLite corpus already loaded")
    args = parser.parse_args()
    if not args.reuse:
        print("sqlite corpus:", load(args.sqlite, articles=args.articles, entities=args.entities))
    report(f"SQLite, {args.articles} stories", asyncio.run(measure(args.sqlite, args.requests)))
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            print("postgresql corpus:", load(url, articles=args.articles, entities=args.entities))
            report(f"PostgreSQL, {args.articles} stories", asyncio.run(measure(url, args.requests)))


if __name__ == "__main__":
    main()
