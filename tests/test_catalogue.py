"""Which catalogue entities a story loads: those it can name, not everyone sharing a first name."""

from collections.abc import Sequence

import pytest
from fastapi import FastAPI

from app.db import DbSession
from app.demo.load import read_corpus
from app.models import ChangeAction, ChangeObject, EntityKind, EntityPatch, utcnow
from app.services import changes
from app.services.catalogue import Catalogue, Entry, Memory, include_names, load_catalogue
from app.services.changes import Event
from app.services.entities import merge_entities, update_entity
from app.services.ingest import _tokens, resolve_entity
from app.services.store import create_entity, insert_entity_names

pytestmark = pytest.mark.asyncio


async def test_a_story_loads_the_entities_it_can_name(write_app: FastAPI) -> None:
    """Those with a name all of whose words the story holds, its first two side by side (a leading
    "the" aside, or an «s» of a possessive between): a given name here and a family name there name
    nobody."""
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
                "possessive": await create_entity(
                    session,
                    slug="t-possessive",
                    kind=EntityKind.government,
                    name_ar=None,
                    name_en="the Lorian Foreign Ministry",
                ),
                "the, apart": await create_entity(
                    session, slug="t-the-apart", kind=EntityKind.organization, name_ar=None, name_en="The Qandili Board"
                ),
                "after «ل»": await create_entity(
                    session, slug="t-after-lam", kind=EntityKind.agency, name_ar="وكالة نجمة الصحراء", name_en=None
                ),
            }
            text = (
                "وقال زياد قنديلي إن the port board would meet the Board, and Qandili agreed. "
                "Lorian's foreign ministry said it would attend. وقالت وكالة أخرى إن قنديلي صرح لوكالة نجمة الصحراء."
            )
            catalogue = await load_catalogue(session, _tokens([text]))
            loaded = {label for label, entity_id in named.items() if entity_id in catalogue.kinds}
            assert loaded == {"whole", "by alias", "possessive", "after «ل»"}
            assert catalogue.ids["port board"] == named["by alias"]
            memory = Memory()
            await memory.refresh(session)
            assert memory.catalogue(_tokens([text])).kinds.keys() == catalogue.kinds.keys()
        finally:
            await session.rollback()


def _seen(catalogue: Catalogue) -> tuple[object, ...]:
    """Everything a story's catalogue holds, in its order (the first entity with a key owns it)."""
    return (catalogue.known, catalogue.ids, catalogue.kinds, catalogue.slugs, catalogue.names)


async def _both(
    session: DbSession,
    memory: Memory,
    text: str,
    slugs: Sequence[str] = (),
    created: Sequence[Entry] = (),
    speakers: Sequence[str] = (),
) -> tuple[Catalogue, Catalogue]:
    """The catalogue of a text from the statement and from memory, each with the speakers' names included."""
    words = _tokens([text])
    stated = await load_catalogue(session, words, slugs)
    await include_names(session, stated, speakers)
    remembered = memory.catalogue(words, slugs, created)
    memory.include(remembered, speakers, created)
    return stated, remembered


def _copied(copy: Memory, text: str, speakers: Sequence[str] = ()) -> Catalogue:
    catalogue = copy.catalogue(_tokens([text]))
    copy.include(catalogue, speakers)
    return catalogue


async def test_the_catalogue_in_memory_finds_what_the_statement_finds(write_app: FastAPI) -> None:
    """Over every demo story (and its agencies, as slugs), then after entities are created, edited and merged.
    A copy that replays the memory's journal, as a batch's helper process keeps one, finds the same."""
    now = utcnow()
    texts = [("\n".join([a.headline, *a.paragraphs]), a.agencies) for a in read_corpus().articles]
    async with write_app.state.db.session() as session:
        try:
            memory, copy = Memory(journal=True), Memory()
            await memory.refresh(session)
            copy.replay(memory.take_journal())
            assert copy.entries == memory.entries and memory.take_journal() == []
            checked = 0
            for text, agencies in texts:
                stated, remembered = await _both(session, memory, text, agencies, speakers=text.split()[-3:])
                assert _seen(remembered) == _seen(stated)
                checked += len(stated.known)
            assert checked > 100  # the demo catalogue is really there

            # Entities created, then edited and merged, each change logged as the services log them.
            new = await create_entity(
                session, slug="t-mem-new", kind=EntityKind.person, name_ar="نادر الصيرفي", name_en="Nader Sayrafi"
            )
            twin = await create_entity(
                session, slug="t-mem-twin", kind=EntityKind.person, name_ar="نادر الصيرفي الابن", name_en=None
            )
            await changes.record(
                session, [Event(ChangeObject.entity, str(i), ChangeAction.created) for i in (new, twin)], now=now
            )
            text = "قال نادر الصيرفي الابن لـ Sayrafi the Elder إن المدير الصيرفي باق، بحسب نادر الصيرفي"
            assert new not in memory.catalogue(_tokens([text])).kinds  # not read again yet
            await memory.refresh(session)
            copy.replay(memory.take_journal())
            stated, remembered = await _both(session, memory, text)
            assert _seen(remembered) == _seen(stated) == _seen(_copied(copy, text))
            assert {new, twin} <= remembered.kinds.keys()
            await update_entity(session, new, EntityPatch(add_aliases=["Sayrafi the Elder"], title="مدير"), now=now)
            await merge_entities(session, new, twin, now=now)
            await memory.refresh(session)
            copy.replay(memory.take_journal())
            assert copy.entries == memory.entries
            stated, remembered = await _both(session, memory, text)
            assert _seen(remembered) == _seen(stated) == _seen(_copied(copy, text))
            assert new in remembered.kinds and twin not in remembered.kinds  # merged: its names are the survivor's
            assert remembered.ids["sayrafi the elder"] == new
            stated, remembered = await _both(session, memory, "خبر بلا أسماء", speakers=["Nader Sayrafi"])
            assert _seen(remembered) == _seen(stated) == _seen(_copied(copy, "خبر بلا أسماء", ["Nader Sayrafi"]))
            assert list(remembered.kinds) == [new]

            # An entity this transaction created and has not committed: the memory is told of it.
            catalogue = await load_catalogue(session, _tokens(["رجل جديد"]))
            await resolve_entity(session, catalogue, "وجيه التوتنجي", EntityKind.person, title="سفير")
            await insert_entity_names(session, catalogue.created_names)  # as the story writing it does
            made = catalogue.created
            for text, speakers in (("وصل السفير وجيه التوتنجي اليوم", []), ("وصل السفير اليوم", ["وجيه التوتنجي"])):
                stated, remembered = await _both(session, memory, text, created=made, speakers=speakers)
                assert _seen(remembered) == _seen(stated)
                assert made[0].id in remembered.kinds
        finally:
            await session.rollback()
