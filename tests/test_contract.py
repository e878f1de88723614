"""Schemathesis, in-process, against every operation of our own OpenAPI document, on both databases."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

from app.main import create_app
from tests.conftest import Database
from tests.conftest import test_settings as settings_for  # not a test: pytest collects test_* names

load_all_checks()
ALL_CHECKS: list[Any] = list(CHECKS.get_all())


@pytest.fixture(scope="session")
def api_schema(database: Database) -> schemathesis.BaseSchema:
    app = create_app(settings_for(database))
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=60, deterministic=True
    )

    @loaded.hook
    def map_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
        # Cursors are opaque: only the server makes valid ones, so a random schema-valid string is
        # rightly refused (tests/test_errors.py covers that). Positive cases go without one.
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        if case.query and "cursor" in case.query and not negative:
            case.query.pop("cursor")
        # The query language (words, phrases, OR, exclusions, prefixes) is not something a JSON schema
        # can state, so a random string may rightly be refused; tests/test_search.py covers `q` itself.
        if case.query and "q" in case.query and not negative:
            case.query["q"] = "قمرستان OR ministry*"
        return case

    return loaded


# Every read operation; writes need a key and a database of their own (tests/test_ingest.py).
schema = schemathesis.pytest.from_fixture("api_schema").include(method="GET")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=ALL_CHECKS)
