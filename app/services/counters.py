"""Stored counts of entities and sections, kept exact by every write that changes what they count.

- `entity.quote_count`: quotes attributed to the entity in usable articles;
- `entity.article_count`: usable articles that mention the entity, in whatever role;
- `section.article_count`: usable articles in the section (not its children's).

Counting them per request cost what an entity has of quotes and stories. Instead, a write that
changes a story's quotes, mentions, status or section gathers in a `Tally` what the story counted
before (sign -1) and what it counts now (+1), and `apply` adds the differences in the same
transaction: the cost follows the story, not the archive. Merges, which are rare, count the two
entities afresh (`recount_entities`); bulk loads that bypass the services count everything afresh
(`recount_all`).

Concurrent writers on PostgreSQL: counts are only ever added to (`n = n + d`), so writers compose,
and rows are locked in one order everywhere (entity rows by id, then section rows by id, near the
end of the transaction, before the change log's lock), so they cannot deadlock on them (see
`_add`). What a story counted before a write is read under the article's row lock, which every
writer of its quotes and mentions holds (merges lock the articles they move quotes and mentions of).
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa

from app.db import DbSession
from app.models import ArticleStatus, article_table, entity_table, mention_table, quote_table, section_table

a, e, s = article_table, entity_table, section_table
_USABLE = a.c.status == ArticleStatus.usable.value

# The definitions, as counts over the rows: what the stored counts must always equal.
QUOTE_COUNT = (
    sa.select(sa.func.count())
    .select_from(quote_table.join(a, a.c.id == quote_table.c.article_id))
    .where(quote_table.c.speaker_id == e.c.id, _USABLE)
    .scalar_subquery()
)
ARTICLE_COUNT = (
    sa.select(sa.func.count(sa.distinct(mention_table.c.article_id)))
    .select_from(mention_table.join(a, a.c.id == mention_table.c.article_id))
    .where(mention_table.c.entity_id == e.c.id, _USABLE)
    .scalar_subquery()
)
SECTION_ARTICLE_COUNT = sa.select(sa.func.count()).where(a.c.section_id == s.c.id, _USABLE).scalar_subquery()


@dataclass
class Tally:
    """Changes to the stored counts that one write makes, gathered before they are applied."""

    quotes: Counter[int] = field(default_factory=Counter)  # entity id → change of quote_count
    articles: Counter[int] = field(default_factory=Counter)  # entity id → change of article_count
    sections: Counter[int] = field(default_factory=Counter)  # section id → change of article_count

    def story(
        self,
        sign: int,
        *,
        status: str,
        section_id: int,
        speakers: Iterable[int | None],
        mentioned: Iterable[int],
    ) -> None:
        """Count a version of a story in (`sign` 1) or out (-1): its section, one quote per speaker
        given (unattributed ones as None) and each entity mentioned once, however many roles it has.
        Only a usable story counts."""
        if status != ArticleStatus.usable.value:
            return
        self.sections[section_id] += sign
        for speaker in speakers:
            if speaker is not None:
                self.quotes[speaker] += sign
        for entity_id in set(mentioned):
            self.articles[entity_id] += sign

    def merge(self, other: "Tally") -> None:
        """Add another write's changes: a batch of stories applies theirs once, before it commits."""
        self.quotes.update(other.quotes)
        self.articles.update(other.articles)
        self.sections.update(other.sections)


async def apply(session: DbSession, tally: Tally) -> None:
    """Add the tally to the stored counts: at most one statement for entities, then one for sections;
    none for what did not change (a resent story whose quotes and mentions are the same)."""
    entities = sorted(i for i in tally.quotes.keys() | tally.articles.keys() if tally.quotes[i] or tally.articles[i])
    if entities:
        await _add(
            session,
            e,
            entities,
            {
                "quote_count": [tally.quotes[i] for i in entities],
                "article_count": [tally.articles[i] for i in entities],
            },
        )
    sections = sorted(i for i, n in tally.sections.items() if n)
    if sections:
        await _add(session, s, sections, {"article_count": [tally.sections[i] for i in sections]})


async def _add(session: DbSession, table: sa.Table, ids: Sequence[int], deltas: dict[str, list[int]]) -> None:
    """`column = column + delta` on the rows with these ids, one row after the other in id order.

    One statement executed per row (an executemany: one round trip, a loop in C on SQLite), not one
    UPDATE ... FROM an array of rows, which PostgreSQL updates in whatever order its plan meets them.
    Locking them in id order first, in a subquery of that UPDATE, deadlocked in tests/test_counts.py:
    the UPDATE then meets rows that others changed since its snapshot a second time, and queues
    behind writers that wait for it. Row by row, each UPDATE takes its row's lock in id order, and that
    lock (FOR NO KEY UPDATE: the counts are no key) does not conflict with the KEY SHARE locks that
    inserting a quote, mention or article takes on the rows it refers to, which concurrent writers
    hold from earlier in their transactions.
    """
    rows = [{"row_id": row_id, **{f"d_{c}": values[n] for c, values in deltas.items()}} for n, row_id in enumerate(ids)]
    await session.execute(_add_each(table, tuple(deltas)), rows)


@cache
def _add_each(table: sa.Table, columns: tuple[str, ...]) -> sa.Update:
    values = {column: table.c[column] + sa.bindparam(f"d_{column}", type_=sa.Integer) for column in columns}
    return sa.update(table).where(table.c.id == sa.bindparam("row_id", type_=sa.Integer)).values(values)


async def recount_entities(session: DbSession, entity_ids: Sequence[int]) -> None:
    """Count these entities' quotes and articles afresh from the rows (for merges: an article that
    mentions both entities counts once for the survivor). Costs what the entities have of quotes and
    stories; the caller holds their row locks, so that no writer adds to them meanwhile."""
    await session.execute(
        sa.update(e).where(e.c.id.in_(list(entity_ids))).values(quote_count=QUOTE_COUNT, article_count=ARTICLE_COUNT)
    )


def recount_all() -> list[sa.Update]:
    """Statements that count every entity and section afresh, for loads that write rows directly."""
    return [
        sa.update(e).values(quote_count=QUOTE_COUNT, article_count=ARTICLE_COUNT),
        sa.update(s).values(article_count=SECTION_ARTICLE_COUNT),
    ]
