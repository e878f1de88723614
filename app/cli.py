"""The command line: `python -m app --help`."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from app.config import get_settings

cli = typer.Typer(
    help="Wire Quotes API: translated wire stories, their quotes and sources.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


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
