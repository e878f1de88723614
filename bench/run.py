"""The performance harness: the same load on FastAPI's own ceiling and on our endpoints, as ratios.

    python -m bench.run [--quick] [--articles 100000] [--postgres postgresql://user@host/db]
    python -m bench.run --database sqlite:///bench.db --database postgresql://user@host/db   # already loaded

Loads the generated corpus (bench/corpus.py), then for each database starts the
API with uvicorn (2 workers) on loopback and drives it with wrk (Debian's `wrk`
package; a small Python load generator stands in when wrk is missing), bounded in
time. In the same run it measures a bare FastAPI app returning a fixed 2 KB body
on the same server and worker count: the ceiling. Prints req/s, p50 and p99 per
endpoint and the ratio to the ceiling, the median of 3 runs (1 with --quick).
Rows named "uncached" run on a second server with the response cache off, and
send no `Cache-Control: no-cache` (which also makes every request read the
validators again): what any answer not yet kept costs.
"""

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.db import create_sync_engine
from bench import scratch_postgres
from bench.corpus import load, most_quoted_speaker

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    rps: float
    p50: float
    p99: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn in a child process, on loopback, stopped on exit."""

    def __init__(self, target: list[str], env: dict[str, str], workers: int) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                *target,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz" if "app.main" in target[0] else self.url).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def rss_mb(self) -> float:
        """Resident memory of the largest worker."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        sizes = []
        for pid in children.split():
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
                if match:
                    sizes.append(int(match.group(1)) / 1024)
        return max(sizes, default=0.0)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _ms(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if found is None:
        raise ValueError(f"unreadable wrk latency {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> Figure:
    # A request slower than wrk's default 2 s timeout would leave the distribution unseen: allow 10 s.
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out and "If-None-Match" not in headers:
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M), re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M)
    if p50 is None or p99 is None:
        # No request finished within wrk's timeout: there is no distribution to read.
        return Figure(rps, float("nan"), float("nan"))
    return Figure(rps, _ms(p50.group(1)), _ms(p99.group(1)))


async def _python_load(url: str, seconds: int, connections: int, headers: dict[str, str]) -> Figure:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(headers=headers, limits=httpx.Limits(max_connections=connections)) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                await client.get(url)
                latencies.append((time.perf_counter() - start) * 1000)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    latencies.sort()
    return Figure(len(latencies) / elapsed, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1])


def settle(base: str, timeout: float = 60.0) -> None:
    """Wait until the server has worked off what the last run left in flight, so it does not slow the next."""
    deadline = time.monotonic() + timeout
    quick = 0
    with httpx.Client(timeout=timeout) as client:  # one client: making one costs more than the request
        while quick < 3 and time.monotonic() < deadline:
            start = time.perf_counter()
            client.get(f"{base}/healthz")
            quick = quick + 1 if time.perf_counter() - start < 0.02 else 0
            time.sleep(0.1)


def drive(url: str, *, seconds: int, connections: int, headers: dict[str, str] | None = None) -> Figure:
    if shutil.which("wrk"):
        figure = wrk(url, seconds=seconds, connections=connections, headers=headers or {})
    else:
        figure = asyncio.run(_python_load(url, seconds, connections, headers or {}))
    settle(url.split("/v1/", 1)[0].rstrip("/"))
    return figure


# Past the response cache (and re-reading the validators): what the route itself costs.
_FRESH = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]
    connections: int | None = None  # None: the run's --connections
    # Run against a server with no response cache (RESPONSE_CACHE_MB=0): a plain request is then
    # made afresh as any answer not yet kept is, with the validators read as usual (at most once a
    # second), where `no-cache` also makes every request read them again.
    cache_off: bool = False


def _targets(database_url: str) -> list[Target]:
    """The requests to measure, with ids taken from the loaded corpus."""
    engine = create_sync_engine(database_url)
    with engine.connect() as conn:
        article = conn.execute(
            sa.text(
                "SELECT a.public_id FROM article a JOIN quote q ON q.article_id = a.id GROUP BY a.public_id "
                "HAVING count(*) >= 10 ORDER BY a.public_id LIMIT 1"
            )
        ).scalar_one()
        speaker = most_quoted_speaker(conn)
    engine.dispose()
    section = "/v1/articles?section=economy"
    search = (
        "/v1/articles?q=%D8%A7%D9%84%D9%85%D8%A7%D9%84%D9%8A%D8%A9%20%D9%82%D9%85%D8%B1%D8%B3%D8%AA%D8%A7%D9%86"
        "&section=economy"
    )
    return [
        Target("article list, section", section, _FRESH),
        Target("article list, entity", "/v1/articles?entity=1", _FRESH),
        Target("quote list, top speaker", f"/v1/quotes?speaker={speaker}", _FRESH),
        Target("one article + quotes", f"/v1/articles/{article}", _FRESH),
        Target("search, two words", search, _FRESH),
        Target("article list, cached", section, {}),
        Target("conditional GET, 304", section, {"If-None-Match": "<etag>"}),
        Target("article list, uncached", section, {}, cache_off=True),
        Target("one article, uncached", f"/v1/articles/{article}", {}, cache_off=True),
        Target("article list, 16 conn.", section, _FRESH, 16),
        Target("one article, 16 conn.", f"/v1/articles/{article}", _FRESH, 16),
        # What partners polling the same lists get between two writes.
        Target("article list, cached, 16", section, {}, 16),
        Target("one article, cached, 16", f"/v1/articles/{article}", {}, 16),
    ]


def measure(database_url: str, *, runs: int, seconds: int, connections: int) -> tuple[dict[str, Figure], float]:
    env = {
        "DATABASE_URL": database_url,
        "LOAD_DEMO": "false",
        "RATE_LIMIT": "1000000000/minute",
        "ANONYMOUS_RATE_LIMIT": "1000000000/minute",
        "LOG_LEVEL": "warning",
    }
    targets = _targets(database_url)
    results, rss = _measure([t for t in targets if not t.cache_off], env, runs, seconds, connections)
    uncached = {**env, "RESPONSE_CACHE_MB": "0"}
    results |= _measure([t for t in targets if t.cache_off], uncached, runs, seconds, connections)[0]
    return {t.name: results[t.name] for t in targets}, rss


def _measure(
    targets: list[Target], env: dict[str, str], runs: int, seconds: int, connections: int
) -> tuple[dict[str, Figure], float]:
    """Each target's median run, on one server; and the RSS of its largest worker after them."""
    server = Server(["app.main:create_app", "--factory"], env, workers=2)
    results: dict[str, Figure] = {}
    try:
        for target in targets:
            headers = target.headers
            if headers.get("If-None-Match") == "<etag>":
                headers = {"If-None-Match": httpx.get(server.url + target.path).headers["etag"]}
                # wrk does not tell a 304 from a 200: make sure this request is really answered 304.
                if (status := httpx.get(server.url + target.path, headers=headers).status_code) != 304:
                    raise RuntimeError(f"the conditional request was answered {status}, not 304")
            figures = [
                drive(
                    server.url + target.path,
                    seconds=seconds,
                    connections=target.connections or connections,
                    headers=headers,
                )
                for _ in range(runs)
            ]
            results[target.name] = sorted(figures, key=lambda f: f.rps)[len(figures) // 2]
        return results, server.rss_mb()
    finally:
        server.stop()


def ceiling(*, runs: int, seconds: int, connections: int) -> Figure:
    server = Server(["bench.ceiling:app"], {}, workers=2)
    try:
        figures = [drive(server.url + "/", seconds=seconds, connections=connections) for _ in range(runs)]
        return sorted(figures, key=lambda f: f.rps)[len(figures) // 2]
    finally:
        server.stop()


def report(label: str, base: Figure, results: dict[str, Figure], rss: float) -> str:
    lines = [
        f"\n{label}",
        f"{'endpoint':26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}",
        f"{'ceiling (fixed 2 KB)':26} {base.rps:9.0f} {base.p50:8.2f} {base.p99:8.2f} {1:7.0%}",
    ]
    for name, figure in results.items():
        lines.append(f"{name:26} {figure.rps:9.0f} {figure.p50:8.2f} {figure.p99:8.2f} {figure.rps / base.rps:7.1%}")
    lines.append(f"largest worker RSS after the run: {rss:.0f} MB")
    text = "\n".join(lines)
    print(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus, one short run each (under a minute)")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is created and dropped")
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        help="measure this database, already loaded by bench/corpus.py, instead of loading one (repeatable)",
    )
    args = parser.parse_args()
    runs, seconds = (1, 2) if args.quick else (3, args.seconds)
    articles, entities = (2_000, 500) if args.quick else (args.articles, args.entities)
    base = ceiling(runs=runs, seconds=seconds, connections=args.connections)
    if args.database:
        for url in args.database:
            results, rss = measure(url, runs=runs, seconds=seconds, connections=args.connections)
            report(
                f"{make_url(url).get_backend_name()}, {url}, 2 workers, {args.connections} connections",
                base,
                results,
                rss,
            )
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        print("sqlite corpus:", load(url, articles=articles, entities=entities))
        results, rss = measure(url, runs=runs, seconds=seconds, connections=args.connections)
        report(f"SQLite, {articles} stories, 2 workers, {args.connections} connections", base, results, rss)
    if args.postgres:
        with scratch_postgres(args.postgres) as url:
            print("postgresql corpus:", load(url, articles=articles, entities=entities))
            results, rss = measure(url, runs=runs, seconds=seconds, connections=args.connections)
            report(f"PostgreSQL, {articles} stories, 2 workers, {args.connections} connections", base, results, rss)


if __name__ == "__main__":
    main()
