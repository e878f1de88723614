"""Which catalogue entities a story loads: those it can name, not everyone sharing a first name."""

import pytest
from fastapi import FastAPI

from app.models import EntityKind
from app.services.ingest import _tokens, load_catalogue
from app.services.store import create_entity

pytestmark = pytest.mark.asyncio


async def test_a_story_loads_the_entities_all_of_whose_words_it_holds(write_app: FastAPI) -> None:
    async with write_app.state.db.session() as session:
        try:
            named = {
                "whole": await create_entity(
                    session, slug="t-whole", kind=EntityKind.person, name_ar="زياد قنديلي", name_en="Ziad Qandili"
                ),
                "other surname": await create_entity(
                    session, slug="t-other", kind=EntityKind.person, name_ar="زياد برغوثي", name_en=None
                ),
                "by alias": await create_entity(
                    session,
                    slug="t-alias",
                    kind=EntityKind.organization,
                    name_ar="هيئة الموانئ الشمالية",
                    name_en=None,
                    aliases=["Port Board"],
                ),
                "scattered words": await create_entity(
                    session, slug="t-scattered", kind=EntityKind.person, name_ar=None, name_en="Board Qandili"
                ),
            }
            text = "وقال زياد قنديلي إن the port board would meet the Board, and Qandili agreed."
            catalogue = await load_catalogue(session, _tokens([text]))
            loaded = {label for label, entity_id in named.items() if entity_id in catalogue.kinds}
            assert loaded == {"whole", "by alias", "scattered words"}
            assert catalogue.ids["port board"] == named["by alias"]
        finally:
            await session.rollback()
