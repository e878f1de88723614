"""Filters and row-to-schema helpers shared by the article, quote and entity queries."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from app.models import (
    ArticleStatus,
    EntityRef,
    SectionRef,
    article_agency_table,
    article_table,
    entity_table,
    mention_table,
    quote_table,
    section_table,
)
from app.pagination import Sort
from app.services.search import Search, hits

a = article_table
s = section_table


class Match(StrEnum):
    any = "any"
    all = "all"


@dataclass(frozen=True)
class ArticleFilters:
    """Conditions on articles; quote lists apply them to each quote's article."""

    sections: Sequence[str] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    entities: Sequence[int] = ()
    entity_match: Match = Match.any
    speakers: Sequence[int] = ()
    languages: Sequence[str] = ()
    agencies: Sequence[int] = ()
    statuses: Sequence[ArticleStatus] = field(default=(ArticleStatus.usable,))
    # Set by /v1/entities/{id}/articles: must mention this entity, whatever `entities` says.
    mentions_entity: int | None = None
    view: "View" = field(default_factory=lambda: View())
    search: Search | None = None


@dataclass(frozen=True)
class View:
    """What the caller may see: partners no withheld or embargoed story, licensed keys only their sections."""

    partner: bool = False
    sections: Sequence[str] | None = None

    def conditions(self, now: datetime) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.partner:
            conditions.append(a.c.status != ArticleStatus.withheld.value)
            conditions.append(sa.or_(a.c.embargoed_until.is_(None), a.c.embargoed_until <= now))
        if self.sections is not None:
            conditions.append(_in_sections(self.sections))
        return conditions


def section_ids(slugs: Sequence[str]) -> sa.Select[Any]:
    """The ids of these sections and of their children: sports includes football."""
    chosen = sa.select(s.c.id).where(s.c.slug.in_(list(slugs)))
    return sa.select(s.c.id).where(sa.or_(s.c.id.in_(chosen), s.c.parent_id.in_(chosen)))


def _in_sections(slugs: Sequence[str]) -> sa.ColumnElement[bool]:
    return a.c.section_id.in_(section_ids(slugs))


def _mentions(entity_ids: Sequence[int]) -> sa.Exists:
    return sa.exists().where(mention_table.c.article_id == a.c.id, mention_table.c.entity_id.in_(entity_ids))


def article_conditions(f: ArticleFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [a.c.status.in_([status.value for status in f.statuses])]
    conditions += f.view.conditions(datetime.now(UTC))
    if f.sections:
        conditions.append(_in_sections(f.sections))
    for column, low, high in (
        (a.c.published_at, f.published_from, f.published_to),
        (a.c.updated_at, f.updated_from, f.updated_to),
    ):
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
    if f.entities:
        if f.entity_match is Match.all:
            conditions.extend(_mentions([entity_id]) for entity_id in dict.fromkeys(f.entities))
        else:
            conditions.append(_mentions(f.entities))
    if f.mentions_entity is not None:
        conditions.append(_mentions([f.mentions_entity]))
    if f.speakers:
        # An alias: in a list of quotes the quote table is already in the outer query, and the
        # subquery must not be correlated to it.
        spoken = quote_table.alias("spoken")
        conditions.append(sa.exists().where(spoken.c.article_id == a.c.id, spoken.c.speaker_id.in_(f.speakers)))
    if f.languages:
        # "ar" matches "ar" and its regional tags such as "ar-EG".
        conditions.append(
            sa.or_(
                *(
                    sa.or_(
                        sa.func.lower(a.c.language) == lang.lower(),
                        sa.func.lower(a.c.language).like(f"{lang.lower()}-%"),
                    )
                    for lang in f.languages
                )
            )
        )
    if f.agencies:
        conditions.append(
            sa.exists().where(
                article_agency_table.c.article_id == a.c.id, article_agency_table.c.entity_id.in_(f.agencies)
            )
        )
    return conditions


SECTION_COLUMNS = (
    s.c.slug.label("section_slug"),
    s.c.name_ar.label("section_name_ar"),
    s.c.name_en.label("section_name_en"),
)


def section_ref(row: Any) -> SectionRef:
    return SectionRef(slug=row.section_slug, name_ar=row.section_name_ar, name_en=row.section_name_en)


ENTITY_REF_COLUMNS = (
    entity_table.c.id,
    entity_table.c.slug,
    entity_table.c.kind,
    entity_table.c.name_ar,
    entity_table.c.name_en,
)


def entity_ref(row: Any) -> EntityRef:
    return EntityRef(id=row.id, slug=row.slug, kind=row.kind, name_ar=row.name_ar, name_en=row.name_en)


def effective_sort(sort: Sort, search: Search | None) -> Sort:
    """Relevance needs a query; without one a list falls back to newest first."""
    return Sort.newest if sort is Sort.relevance and search is None else sort


def search_join(
    stmt: sa.Select[Any],
    sort: Sort,
    search: Search | None,
    kind: str,
    id_col: sa.ColumnElement[Any],
    time_col: sa.ColumnElement[Any],
) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
    """Narrow a list to the search hits (if there is a query) and say what it is ordered by:
    publication time, or relevance."""
    if search is None:
        return stmt, time_col
    found = hits(search, kind, scored=sort is Sort.relevance)
    stmt = stmt.join(found, found.c.id == id_col)
    return stmt, (found.c.score if sort is Sort.relevance else time_col)
