"""The entity catalogue as a story sees it: the entities whose names it can hold.

A story saved on its own can look them up with a statement (`load_catalogue`). A batch of stories, and
the API's writes, read them from `Memory`, which holds the whole live catalogue and follows its changes
in the change log.
"""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.db import DbSession
from app.models import ChangeObject, EntityKind, change_table, entity_name_table, entity_table
from app.pipeline.analyse import holds, name_key, placed, story_pairs, story_words
from app.pipeline.extract import KnownEntity

# A name's lookup keys arrive joined into one string per entity; keys are words and spaces only.
_KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class Entry:
    """A live entity as a story's catalogue holds it."""

    id: int
    slug: str
    kind: EntityKind
    names: tuple[str, ...]  # Arabic, English, then the aliases; those it has
    title: str | None
    keys: tuple[str, ...]  # the `name_key` of each name, as stored in entity_name
    # What the extractor is given of it; made once, as `Memory` hands the same entry to story after story.
    known: KnownEntity | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        known = KnownEntity(self.names[0], self.kind.value, self.names[1:], self.title) if self.names else None
        object.__setattr__(self, "known", known)  # frozen

    @classmethod
    def of(cls, row: Sequence[Any]) -> "Entry":
        """An entry from a row of `_entries`."""
        entity_id, slug, kind, name_ar, name_en, aliases, title, keys = row
        names = tuple(name for name in (name_ar, name_en, *aliases) if name)
        return cls(entity_id, slug, EntityKind(kind), names, title, tuple(keys.split(_KEY_SEPARATOR)) if keys else ())


@dataclass
class Catalogue:
    """What the entity catalogue knows, for resolving names as a story writes them."""

    known: list[KnownEntity] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # name_key of a name or alias → entity id
    kinds: dict[int, EntityKind] = field(default_factory=dict)
    slugs: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    created: list[Entry] = field(default_factory=list)  # entities this story added to the catalogue

    def add(self, entry: Entry) -> None:
        self.kinds[entry.id] = entry.kind
        self.names[entry.id] = entry.names[0] if entry.names else entry.slug
        self.slugs[entry.slug] = entry.id
        for key in entry.keys:
            self.ids.setdefault(key, entry.id)
        if entry.known is not None:
            self.known.append(entry.known)

    def add_all(self, entries: Iterable[Entry]) -> None:
        """Add these entries, in id order (the catalogue's: the first entity with a key owns it), but
        not those already here."""
        for entry in sorted(entries, key=_ID):
            if entry.id not in self.kinds:
                self.add(entry)

    @property
    def created_names(self) -> list[tuple[int, str]]:
        """(entity id, name key) of the created entities, written to entity_name in one statement."""
        return [(entry.id, key) for entry in self.created for key in entry.keys if key]


_ID = attrgetter("id")


def _one_of(postgres: bool, column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """`column IN :name`, the values bound as one parameter (see `_listed`): the statement's text is the
    same whatever the number of values, so PostgreSQL prepares it once per connection and SQLAlchemy
    does not render hundreds of placeholders for every story.

    On PostgreSQL the array is unnested rather than compared with `= ANY`: once a prepared statement
    runs on its generic plan, `= ANY($1)` scans the whole array for every row (6.6 ms a story, against
    1.4 ms for the semi-join)."""
    return column.in_(_values(postgres, name))


def _values(postgres: bool, name: str) -> sa.Select[Any]:
    """The values of a `_one_of` parameter, as a one-column subquery."""
    if postgres:
        return sa.select(sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(sa.String))))
    each = sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued("value")
    return sa.select(each.c.value)


def _words_all_in(postgres: bool, key: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """Every word of a name key (words joined by single spaces) is one of the values of the `_one_of`
    parameter `name`. The key is split in SQL: into an array on PostgreSQL, into a JSON list on SQLite
    (a key holds word characters and spaces only, nothing JSON would have to escape)."""
    if postgres:
        words = sa.func.unnest(sa.func.string_to_array(key, " ")).table_valued("value").render_derived("key_word")
    else:
        listed = sa.literal('["') + sa.func.replace(key, " ", '","') + sa.literal('"]')
        words = sa.func.json_each(listed).table_valued("value").alias("key_word")
    return ~sa.exists(sa.select(words.c.value).where(words.c.value.not_in(_values(postgres, name))))


def _listed(postgres: bool, values: Iterable[str]) -> Any:
    """Values for a `_one_of` parameter: an array on PostgreSQL, a JSON list for SQLite's json_each."""
    listed = sorted(values)
    return listed if postgres else orjson.dumps(listed).decode()


@cache
def _entries(postgres: bool) -> sa.Select[Any]:
    """Entities as `Entry.of` reads them, in id order, each on one row with its lookup keys joined."""
    e, n = entity_table, entity_name_table
    agg = sa.func.string_agg if postgres else sa.func.group_concat
    keys = sa.select(agg(n.c.norm, _KEY_SEPARATOR)).where(n.c.entity_id == e.c.id).scalar_subquery()
    return sa.select(e.c.id, e.c.slug, e.c.kind, e.c.name_ar, e.c.name_en, e.c.aliases, e.c.title, keys).order_by(
        e.c.id
    )


@cache
def _changed_entities(postgres: bool) -> sa.Select[Any]:
    """The newest change after :since, and the entities changed after it (`_entries`, with merged_into_id),
    on one row each: a left join of the number to the entities, which the number never lacks."""
    c, e = change_table, entity_table
    since = sa.bindparam("since", type_=sa.BigInteger)
    newest = sa.select(sa.func.max(c.c.seq).label("seq")).where(c.c.seq > since).subquery("newest")
    # object_id holds an entity's id as text: cast the few changed ids, so the entities are read by key.
    ids = sa.select(sa.cast(c.c.object_id, sa.BigInteger)).where(
        c.c.seq > since, c.c.object == ChangeObject.entity.value
    )
    entries = _entries(postgres).add_columns(e.c.merged_into_id).where(e.c.id.in_(ids)).subquery("changed")
    return sa.select(newest.c.seq, *entries.c).select_from(newest.outerjoin(entries, sa.true()))


@cache
def _entities_named(postgres: bool, by: str) -> sa.Select[Any]:
    """Live entities with a lookup key whose `by` column (first word, or the whole key) is one of :names,
    or whose slug is one of :slugs (see `_entries`). By first word, every other word of the key must be
    one of :names too.

    Built once per kind of database and reused: a story runs it once or twice.
    """
    e, n = entity_table, entity_name_table
    named = sa.select(n.c.entity_id).where(_one_of(postgres, n.c[by], "names"))
    if by == "first":
        # The first word alone let in every person who shares a given name with someone in the story:
        # 4,510 entities for one story on a catalogue of 20,000, 190 ms to load, and extraction took
        # 140 ms a story with them (it indexes its catalogue anew). A name none of whose keys has all its
        # words in the story cannot be found in it, neither by the extractor (its catalogue lookups match
        # a key's words in the text; a leading "the" it can do without is the first word, asked for
        # already) nor by `find_mentions`.
        # The keys are narrowed by first word before their words are looked at (MATERIALIZED: PostgreSQL
        # otherwise split the keys of the whole catalogue).
        candidate = named.add_columns(n.c.norm).cte("candidate").prefix_with("MATERIALIZED", dialect="postgresql")
        named = sa.select(candidate.c.entity_id).where(_words_all_in(postgres, candidate.c.norm, "names"))
    return _entries(postgres).where(
        sa.or_(e.c.id.in_(named), _one_of(postgres, e.c.slug, "slugs")), e.c.merged_into_id.is_(None)
    )


async def _load(
    session: DbSession,
    catalogue: Catalogue,
    by: str,
    names: set[str],
    slugs: Sequence[str] = (),
    pairs: set[str] | None = None,
) -> None:
    """Add the live entities found by name (`by` "first" or "norm") or by slug, in one statement; by
    first word, only those a name of which has its first two words together in the story (`pairs`).

    Merged entities live on as their survivor's aliases.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {"names": _listed(postgres, names), "slugs": _listed(postgres, slugs)}
    entries: Iterable[Entry] = map(Entry.of, (await session.execute(_entities_named(postgres, by), params)).all())
    if pairs is not None:
        entries = (e for e in entries if e.slug in slugs or any(holds(key, names, pairs) for key in e.keys))
    catalogue.add_all(entries)


async def load_catalogue(
    session: DbSession,
    texts: Sequence[Sequence[str]],
    slugs: Sequence[str] = (),
    *,
    vocabulary: set[str] | None = None,
    pairs: set[str] | None = None,
) -> Catalogue:
    """The entities that can occur in the tokenised texts (found by a name's first word, and the first
    two words of the name side by side), and those named by slug. `vocabulary` and `pairs` are the
    texts' `story_words` and `story_pairs`, if the caller has them.

    The cost grows with the story, not with the catalogue.
    """
    catalogue = Catalogue()
    words = story_words(texts) if vocabulary is None else vocabulary
    await _load(session, catalogue, "first", words, slugs, story_pairs(texts) if pairs is None else pairs)
    return catalogue


async def include_names(session: DbSession, catalogue: Catalogue, names: Sequence[str]) -> None:
    """Add the entities known by these names, for speakers named otherwise than the text words them."""
    missing = _missing(catalogue, names)
    if missing:
        await _load(session, catalogue, "norm", missing)


def _missing(catalogue: Catalogue, names: Sequence[str]) -> set[str]:
    return {key for name in names if (key := name_key(name)) and key not in catalogue.ids}


class Memory:
    """Every live entity's entry, kept in memory by a run that saves many stories (`app.services.batch`)
    and by each API process (`app.api.deps.catalogue_memory`).

    The statement that finds a story's entities by their words (`load_catalogue`) took 25 ms a story
    on SQLite with 20,000 entities, and reading its rows 10 ms more: most of a story's cost. Here it is
    a dictionary lookup per word of the story.

    Kept current from the change log: every write to an entity's names, kind, title or slug logs a
    change to it (created, updated, merged), and change numbers are handed out in commit order
    (app/services/changes.py), so `refresh` reads again exactly the entities changed after the number
    it last read up to. Call it first in each transaction that uses the memory: what is found then
    is what that transaction sees, as with the statement (on PostgreSQL, an entity another writer
    commits during the transaction is seen by the next one, rather than by the next story).

    Requests of one process share it: refreshes take turns, since one that is reading has already
    moved `seq` on, and another must not return before those rows are in.

    With `journal`, what it learns is also kept in order (entries added, ids dropped) for `replay` on a
    copy in another process, until taken with `take_journal`. Either counts what it has learnt
    (`learnt`), so that a catalogue found by the copy can be checked against the memory
    (`unchanged_since`).
    """

    def __init__(self, *, journal: bool = False) -> None:
        self.seq: int | None = None  # the change number it is current with; None before the first read
        self.entries: dict[int, Entry] = {}
        self._journal: list[Entry | int] | None = [] if journal else None
        self.learnt = 0  # entries added and dropped so far: a copy that replayed as many knows the same
        self._learnt_at: dict[int, int] = {}  # with a journal: entity id → `learnt` after its last change
        # The keys of every entry: by their first word, then their second ("" for a key of one word), to
        # (the key's other words, entry); and whole, to entries. A story's words are looked up in the
        # first level and their intersection with the second: a first name alone is shared by thousands.
        self._firsts: dict[str, dict[str, list[tuple[tuple[str, ...], Entry]]]] = {}
        self._keys: dict[str, list[Entry]] = {}
        self._slugs: dict[str, Entry] = {}
        self._refreshing = asyncio.Lock()

    async def refresh(self, session: DbSession) -> None:
        """Read the whole catalogue the first time, and afterwards the entities changed since."""
        async with self._refreshing:
            await self._refresh(session)

    async def _refresh(self, session: DbSession) -> None:
        postgres = session.get_bind().dialect.name == "postgresql"
        c = change_table
        if self.seq is None:
            # The number first: an entity changed in between is read now and again next time.
            self.seq = (await session.execute(sa.select(sa.func.coalesce(sa.func.max(c.c.seq), 0)))).scalar_one()
            rows = await session.execute(_entries(postgres).where(entity_table.c.merged_into_id.is_(None)))
            for row in rows:
                self._add(Entry.of(row))
            return
        # One statement: the newest change number, beside each entity changed since (none if no entity
        # changed; the number is NULL if nothing did). A write request refreshes before it reads.
        found = (await session.execute(_changed_entities(postgres), {"since": self.seq})).all()
        if found[0].seq is None:
            return
        self.seq = int(found[0].seq)
        changed = [row for row in found if row.id is not None]
        for row in changed:
            self._drop(row.id)
        for row in changed:
            if row.merged_into_id is None:
                self._add(Entry.of(row[1:-1]))

    def take_journal(self) -> list[Entry | int]:
        """What it learnt since the journal was last taken, for `replay`."""
        taken, self._journal = self._journal, []
        assert taken is not None, "a Memory(journal=True) keeps one"
        return taken

    def replay(self, journal: Iterable[Entry | int]) -> None:
        """Learn what another memory's journal holds."""
        for change in journal:
            if isinstance(change, int):
                self._drop(change)
            else:
                self._add(change)

    def unchanged_since(self, learnt: int, entity_ids: Iterable[int]) -> bool:
        """Whether none of these entities has changed since the memory had learnt `learnt` changes. Only a
        memory with a journal stamps its entities' changes; one without can tell only that none changed."""
        if self.learnt == learnt:
            return True
        return self._journal is not None and all(self._learnt_at.get(i, 0) <= learnt for i in entity_ids)

    def _add(self, entry: Entry) -> None:
        self.learnt += 1
        if self._journal is not None:
            self._journal.append(entry)
            self._learnt_at[entry.id] = self.learnt
        self.entries[entry.id] = entry
        self._slugs[entry.slug] = entry
        for key in entry.keys:
            first, second, *rest = (*key.split(" "), "")
            self._firsts.setdefault(first, {}).setdefault(second, []).append((tuple(rest[:-1]), entry))
            self._keys.setdefault(key, []).append(entry)

    def _drop(self, entity_id: int) -> None:
        entry = self.entries.pop(entity_id, None)
        if entry is None:
            return
        self.learnt += 1
        if self._journal is not None:
            self._journal.append(entity_id)
            self._learnt_at[entity_id] = self.learnt
        if self._slugs.get(entry.slug) is entry:
            del self._slugs[entry.slug]
        for key in entry.keys:
            first, second, *_ = (*key.split(" "), "")
            seconds = self._firsts[first]
            seconds[second] = [pair for pair in seconds[second] if pair[1] is not entry]
            self._keys[key] = [other for other in self._keys[key] if other is not entry]

    def catalogue(
        self,
        texts: Sequence[Sequence[str]],
        slugs: Sequence[str] = (),
        created: Sequence[Entry] = (),
        *,
        vocabulary: set[str] | None = None,
        pairs: set[str] | None = None,
    ) -> Catalogue:
        """What `load_catalogue` finds for the same tokenised texts and slugs, with the entities
        `created` in this transaction so far, which the change log shows only once they are committed."""
        words = story_words(texts) if vocabulary is None else vocabulary
        together = story_pairs(texts) if pairs is None else pairs
        found: dict[int, Entry] = {}
        for word in words:
            seconds = self._firsts.get(word)
            if seconds is None:
                continue
            the = word == "the"
            for second in (seconds.keys() & words) | ({""} if "" in seconds else set()):
                # A name's first two words stand together in the story (see `placed`), which a name of
                # people's commonest first and family names does not in most stories that hold both:
                # 740 entities a story at 20,000 entities without it, 125 with it.
                if second and not the and f"{word} {second}" not in together:
                    continue
                for rest, entry in seconds[second]:
                    if (
                        entry.id not in found
                        and all(map(words.__contains__, rest))
                        and (not the or placed((word, second, *rest), together))
                    ):
                        found[entry.id] = entry
        for slug in slugs:
            if (named := self._slugs.get(slug)) is not None:
                found[named.id] = named
        for entry in created:
            if entry.slug in slugs or any(holds(key, words, together) for key in entry.keys):
                found[entry.id] = entry
        catalogue = Catalogue()
        catalogue.add_all(found.values())
        return catalogue

    def include(self, catalogue: Catalogue, names: Sequence[str], created: Sequence[Entry] = ()) -> None:
        """What `include_names` adds."""
        missing = _missing(catalogue, names)
        found = [entry for key in missing for entry in self._keys.get(key, ())]
        found += [entry for entry in created if not missing.isdisjoint(entry.keys)]
        catalogue.add_all(found)
