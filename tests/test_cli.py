"""The command line: keys, batch ingest, extract and evaluate, against a real database."""

import json
import runpy
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import create_sync_engine
from app.models import article_table, utcnow
from tests.conftest import Database
from tests.test_ingest import SAMPLES, story


@pytest.fixture
def env(write_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", write_database.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_keys_create_list_revoke(env: None) -> None:
    code, out, err = run("keys", "create", "--name", "partner-a", "--scopes", "read,ingest")
    assert code == 0, err
    key = out.strip().splitlines()[-1]
    assert key.startswith("wq_")
    prefix = key.split("_")[1]
    code, out, _ = run("keys", "list")
    assert prefix in out and "partner-a" in out and key not in out
    assert run("keys", "revoke", prefix)[0] == 0
    assert run("keys", "revoke", "nosuchprefix")[0] == 1
    assert run("keys", "create", "--name", "x", "--scopes", "superuser")[0] != 0


def test_ingest_files_folders_and_batches(env: None, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.json").write_bytes(orjson.dumps(story(guid="urn:cli:1")))
    (folder / "page.txt").write_bytes((SAMPLES / "en_world.txt").read_bytes())
    lines = [orjson.dumps(story(guid="urn:cli:2")), b"{broken", orjson.dumps(story(guid="urn:cli:3", paragraphs=[]))]
    batch = tmp_path / "batch.ndjson"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run("ingest", str(folder), str(batch))
    assert code == 1, "a failure makes the exit code non-zero"
    assert f"{batch}:2" in err and f"{batch}:3" in err and "paragraphs" in err
    assert out.strip().splitlines()[-1] == "created=3 updated=0 unchanged=0 failed=2"
    code, out, _ = run("ingest", str(folder))
    assert code == 0
    assert out.strip().splitlines()[-1] == "created=0 updated=0 unchanged=2 failed=0"


def test_ingest_with_a_helper_process(env: None, write_database: Database, tmp_path: Path) -> None:
    """`--helper` reads and extracts ahead in a second process; what is stored is checked by tests/test_batch.py."""
    batch = tmp_path / "helped.ndjson"
    batch.write_bytes(b"\n".join(orjson.dumps(story(guid=f"urn:cli:helped:{n}")) for n in range(12)) + b"\n")
    code, out, err = run("ingest", "--helper", str(batch))
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "created=12 updated=0 unchanged=0 failed=0"
    code, out, err = run("ingest", "--no-helper", str(batch))
    assert (code, out.strip().splitlines()[-1]) == (0, "created=0 updated=0 unchanged=12 failed=0"), err


def test_the_module_runs_the_command_line_only_as_the_main_program() -> None:
    """A process started by `spawn` (the ingest helper) imports the main module again, as `__mp_main__`:
    it must not run the command line once more."""
    assert runpy.run_module("app.__main__", run_name="__mp_main__")["cli"] is cli


def test_extract_prints_the_contract(env: None, tmp_path: Path) -> None:
    path = tmp_path / "story.json"
    path.write_bytes(orjson.dumps(story(guid="urn:cli:extract")))
    code, out, err = run("extract", str(path), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["headline"] == story()["headline"] and report["quotes"]
    code, out, _ = run("extract", "-", input=(SAMPLES / "ar_politics.txt").read_text(encoding="utf-8"))
    assert code == 0 and json.loads(out)["language"] == "ar"


def test_evaluate_prints_scores() -> None:
    code, out, _ = run("evaluate")
    assert code == 0
    assert "F1" in out or "f1" in out.lower()


def test_release_embargoes_logs_a_lift_once(env: None, write_database: Database, tmp_path: Path) -> None:
    path = tmp_path / "embargoed.json"
    path.write_bytes(orjson.dumps(story(guid="urn:cli:embargo", embargoed="2099-01-01T00:00:00Z")))
    assert run("ingest", str(path))[0] == 0
    engine = create_sync_engine(write_database.url)
    try:
        with engine.begin() as conn:
            # The clock passing the embargo, without a wait.
            lifted = sa.update(article_table).where(article_table.c.guid == "urn:cli:embargo")
            conn.execute(lifted.values(embargoed_until=utcnow()))
    finally:
        engine.dispose()
    assert run("release-embargoes")[2].strip() == "released 1"
    assert run("release-embargoes")[2].strip() == "released 0"
