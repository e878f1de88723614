"""The command line: `python -m app --help`."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from app.config import get_settings

if TYPE_CHECKING:
    from app.db import DbSession
    from app.services.batch import BatchReport

cli = typer.Typer(
    help="Wire Quotes API: translated wire stories, their quotes and sources.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
# Tables go to standard output; when that is not a terminal (a pipe, a test) keep rows on one line.
out = Console(width=None if sys.stdout.isatty() else 200)


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema (DATABASE_URL, default sqlite:///wire.db)."""
    from app.migrate import upgrade

    upgrade(get_settings().database_url)
    console.print("[green]database is up to date[/green]")


@cli.command()
def demo(
    force: Annotated[bool, typer.Option(help="Load even if the database already has stories.")] = False,
) -> None:
    """Migrate, then load the fictional demo corpus (skipped when stories exist, unless --force)."""
    from app.demo.load import load_demo, summary
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    counts = asyncio.run(load_demo(settings, only_if_empty=not force))
    console.print(f"loaded {summary(counts)}" if counts else "database already has stories; demo not loaded")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Migrate, load the demo corpus into an empty database (LOAD_DEMO=false to skip), and serve.

    The API is at http://HOST:PORT/v1 and its documentation at /docs.
    """
    import uvicorn

    from app.demo.load import load_demo, summary
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    if settings.load_demo:
        counts = asyncio.run(load_demo(settings, only_if_empty=True))
        if counts:
            console.print(f"demo corpus loaded: {summary(counts)}")
    console.print(f"serving on http://{host}:{port} (docs at http://{host}:{port}/docs)")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )


keys = typer.Typer(help="Manage API keys (shown once; only a hash is stored).", no_args_is_help=True)
cli.add_typer(keys, name="keys")


@keys.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who the key is for.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, ingest, admin (admin implies all).")] = "read",
    rate_limit: Annotated[
        str | None, typer.Option(help="This key's quota, e.g. 6000/hour (default: RATE_LIMIT).")
    ] = None,
    sections: Annotated[
        str | None, typer.Option(help="Comma-separated section slugs the key is licensed for (default: all).")
    ] = None,
) -> None:
    """Create a key and print it once."""
    from limits import parse

    from app.models import Scope
    from app.services import keys as service

    try:
        wanted = [Scope(s.strip()) for s in scopes.split(",") if s.strip()]
    except ValueError as exc:
        raise typer.BadParameter(f"scopes must be among: {', '.join(s.value for s in Scope)}") from exc
    if not wanted:
        raise typer.BadParameter("at least one scope")
    if rate_limit is not None:
        try:
            parse(rate_limit)
        except ValueError as exc:
            raise typer.BadParameter("a quota such as 600/minute or 10000/day", param_hint="--rate-limit") from exc
    licensed = [slug.strip() for slug in sections.split(",") if slug.strip()] if sections else None
    key, info = _run_in_transaction(
        lambda session: service.create_key(
            session, name=name, scopes=wanted, now=_now(), rate_limit=rate_limit, sections=licensed
        )
    )
    console.print(f"created key {info.prefix} for {info.name!r} with scopes {', '.join(info.scopes)}")
    console.print("store it now; it is not shown again:")
    typer.echo(key)


@keys.command("list")
def keys_list() -> None:
    """List keys (prefix, name, scopes, created, revoked)."""
    from rich.table import Table

    from app.services import keys as service

    table = Table("prefix", "name", "scopes", "quota", "sections", "created", "revoked")
    for info in _run_in_transaction(service.list_keys):
        table.add_row(
            info.prefix,
            info.name,
            ",".join(info.scopes),
            info.rate_limit or "default",
            ",".join(info.sections) if info.sections is not None else "all",
            f"{info.created_at:%Y-%m-%d %H:%M}",
            f"{info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "",
        )
    out.print(table)


@keys.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix, as `keys list` shows it.")]) -> None:
    """Revoke a key: it is refused from then on."""
    from app.errors import NotFound
    from app.services import keys as service

    try:
        info = _run_in_transaction(lambda session: service.revoke_key(session, prefix=prefix, now=_now()))
    except NotFound as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"revoked {info.prefix} ({info.name})")


@keys.command("usage")
def keys_usage(days: Annotated[int, typer.Option(help="How many days back.", min=1)] = 30) -> None:
    """Requests per key per day (304 answers are free)."""
    from datetime import timedelta

    from rich.table import Table

    from app.services import keys as service

    since = _now().date() - timedelta(days=days - 1)
    table = Table("day", "key", "name", "requests")
    for row in _run_in_transaction(lambda session: service.usage(session, since=since)):
        table.add_row(row.day.isoformat(), row.prefix, row.name, str(row.requests))
    out.print(table)


@cli.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders: .json (ours or ninjs), .ndjson/.jsonl batches, .txt pages.")
    ],
    helper: Annotated[
        bool | None,
        typer.Option(
            "--helper/--no-helper",
            help="Read and extract stories in a second process, ahead of the one that writes them. "
            "Default: on with two cores or more and 64 stories or more.",
        ),
    ] = None,
) -> None:
    """Ingest stories from files; one bad story never stops the batch. Exit code 1 if any failed."""
    from contextlib import nullcontext

    from rich.progress import Progress

    from app.db import Database
    from app.migrate import upgrade
    from app.services.batch import Helper, documents, helper_wanted, ingest_documents

    settings = get_settings()
    items = list(documents(paths))

    async def run(helping: Helper | None) -> "BatchReport":
        db = Database(settings)
        try:
            with Progress(console=console) as bar:
                task = bar.add_task("ingesting", total=len(items))
                return await ingest_documents(
                    db, items, timezone=settings.page_timezone, progress=lambda _: bar.advance(task), helper=helping
                )
        finally:
            await db.dispose()

    # Started before the migrations are checked: it takes a second to start.
    with Helper() if (helper_wanted(len(items)) if helper is None else helper) else nullcontext() as helping:
        upgrade(settings.database_url)
        report = asyncio.run(run(helping))
    if report.prepared:
        console.print(f"quotes of {report.prepared} of {len(items)} stories found ahead by the helper process")
    typer.echo(" ".join(f"{k}={report.counts.get(k, 0)}" for k in ("created", "updated", "unchanged", "failed")))
    for source, reason in report.failures:
        console.print(f"[red]failed[/red] {source}: {reason}")
    if report.counts.get("failed"):
        raise typer.Exit(1)


@cli.command("release-embargoes")
def release_embargoes() -> None:
    """Log the embargoes that have lifted as `released` changes. Every read of the change feed does it
    first; from cron, a release also takes the time of the lift when nobody reads the feed."""
    from app.db import Database
    from app.migrate import upgrade
    from app.services.changes import release_embargoes as release

    settings = get_settings()
    upgrade(settings.database_url)

    async def run() -> int:
        db = Database(settings)
        try:
            return len(await release(db, _now()))
        finally:
            await db.dispose()

    console.print(f"released {asyncio.run(run())}")


@cli.command()
def extract(
    source: Annotated[str, typer.Argument(help="A story file (JSON, ninjs or text page), or - for standard input.")],
    format: Annotated[str, typer.Option("--format", help="Output format (json).")] = "json",
) -> None:
    """Run the pipeline on one story without storing it and print what it understood, as JSON."""
    from zoneinfo import ZoneInfo

    import orjson

    from app.db import Database, transaction
    from app.errors import AppError
    from app.migrate import upgrade
    from app.pipeline.read import read_story
    from app.services.batch import sniff
    from app.services.ingest import describe

    if format != "json":
        raise typer.BadParameter("only json is supported", param_hint="--format")
    body = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    settings = get_settings()
    try:
        story = read_story(body, sniff(body), guid=None, timezone=ZoneInfo(settings.page_timezone))
    except AppError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    upgrade(settings.database_url)

    async def run() -> dict[str, object]:
        db = Database(settings)
        try:
            async with transaction(db) as session:
                return await describe(session, story)
        finally:
            await db.dispose()

    sys.stdout.buffer.write(orjson.dumps(asyncio.run(run()), option=orjson.OPT_INDENT_2) + b"\n")


@cli.command()
def evaluate() -> None:
    """Score quote extraction against the annotated evaluation set (precision, recall, F1, speakers)."""
    from app.pipeline.evaluate import main

    raise typer.Exit(main([]))


def _now() -> datetime:
    from app.models import utcnow

    return utcnow()


T = TypeVar("T")


def _run_in_transaction(work: "Callable[[DbSession], Awaitable[T]]") -> T:
    """Migrate, then run `work` in one committed transaction."""
    from app.db import Database, transaction
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)

    async def run() -> T:
        db = Database(settings)
        try:
            async with db.writing(), transaction(db) as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(run())
