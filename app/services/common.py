"""Filters, row-to-schema helpers and the JSON the database writes, shared by the article, quote and entity queries."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql

from app.models import (
    ArticleStatus,
    EntityRef,
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

    def params(self, now: datetime) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.partner:
            params["now"] = now
        if self.sections is not None:
            params["licensed"] = list(self.sections)
        return params


# Parameters holding lists of values (see `bound`).
_LISTS = frozenset(
    {"statuses", "licensed", "sections", "entities", "speakers", "agencies"}
    | {"quote_speakers", "kinds", "article_ids", "ids", "hit_ids"}
)


def bound(name: str) -> sa.BindParameter[Any]:
    """A value passed when the statement runs. Lists go to `IN` as one parameter whatever their length."""
    return sa.bindparam(name, expanding=name in _LISTS)


def view_conditions(names: frozenset[str]) -> list[sa.ColumnElement[bool]]:
    """The conditions of a `View`, given the names of its `params`."""
    conditions: list[sa.ColumnElement[bool]] = []
    if "now" in names:
        # A constant, not a parameter: PostgreSQL's generic plan (see `pagination.keyset`), blind to a
        # parameter's value, took `status != $1` to exclude nearly every story, and sorted all of them.
        conditions.append(a.c.status != _sql(ArticleStatus.withheld.value))
        conditions.append(sa.or_(a.c.embargoed_until.is_(None), a.c.embargoed_until <= bound("now")))
    if "licensed" in names:
        conditions.append(a.c.section_id.in_(section_ids(bound("licensed"))))
    return conditions


def section_ids(slugs: sa.BindParameter[Any] | Sequence[str]) -> sa.Select[Any]:
    """The ids of these sections (slugs, or a parameter holding them) and of their children: sports
    includes football."""
    chosen = sa.select(s.c.id).where(s.c.slug.in_(list(slugs) if isinstance(slugs, Sequence) else slugs))
    return sa.select(s.c.id).where(sa.or_(s.c.id.in_(chosen), s.c.parent_id.in_(chosen)))


def _mentions(entity_ids: sa.BindParameter[Any]) -> sa.Exists:
    return sa.exists().where(mention_table.c.article_id == a.c.id, mention_table.c.entity_id.in_(entity_ids))


def _mention(entity_id: sa.BindParameter[Any]) -> sa.Exists:
    return sa.exists().where(mention_table.c.article_id == a.c.id, mention_table.c.entity_id == entity_id)


# Lists are built from a statement made once per *shape* of their filters (which conditions apply)
# and run with the values as parameters: building and hashing a statement for every request
# costs more Python than running it. `article_params` gives the values; the names of its keys
# are the shape, from which `article_conditions` builds the conditions.


def article_params(f: ArticleFilters, now: datetime) -> dict[str, Any]:
    """The values of an article list's conditions, one per parameter; which keys are present says
    which conditions apply."""
    params: dict[str, Any] = {"statuses": [status.value for status in f.statuses], **f.view.params(now)}
    if f.sections:
        params["sections"] = list(f.sections)
    for name in ("published_from", "published_to", "updated_from", "updated_to"):
        if (value := getattr(f, name)) is not None:
            params[name] = value
    entities = list(dict.fromkeys(f.entities))
    if f.entity_match is Match.all or len(entities) == 1:
        params.update({f"entity_{n}": entity_id for n, entity_id in enumerate(entities)})
    elif entities:
        params["entities"] = entities
    if f.mentions_entity is not None:
        params["mentions_entity"] = f.mentions_entity
    if len(speakers := list(dict.fromkeys(f.speakers))) == 1:
        params["speaker"] = speakers[0]
    elif speakers:
        params["speakers"] = speakers
    for n, language in enumerate(f.languages):
        # "ar" matches "ar" and its regional tags such as "ar-EG".
        params[f"language_{n}"] = language.lower()
        params[f"language_{n}_region"] = f"{language.lower()}-%"
    if len(agencies := list(dict.fromkeys(f.agencies))) == 1:
        params["agency"] = agencies[0]
    elif agencies:
        params["agencies"] = agencies
    return params


def article_conditions(names: frozenset[str]) -> list[sa.ColumnElement[bool]]:
    """The conditions whose values `article_params` named."""
    conditions: list[sa.ColumnElement[bool]] = [a.c.status.in_(bound("statuses")), *view_conditions(names)]
    if "sections" in names:
        conditions.append(a.c.section_id.in_(section_ids(bound("sections"))))
    if "hit_ids" in names:
        conditions.append(a.c.id.in_(bound("hit_ids")))
    for column, low, high in (
        (a.c.published_at, "published_from", "published_to"),
        (a.c.updated_at, "updated_from", "updated_to"),
    ):
        if low in names:
            conditions.append(column >= bound(low))
        if high in names:
            conditions.append(column < bound(high))
    if "entities" in names:
        conditions.append(_mentions(bound("entities")))
    conditions.extend(_mention(bound(name)) for name in _numbered(names, "entity"))
    if "mentions_entity" in names:
        conditions.append(_mention(bound("mentions_entity")))
    if speakers := ({"speaker", "speakers"} & names):
        # An alias: in a list of quotes the quote table is already in the outer query, and the
        # subquery must not be correlated to it.
        spoken = quote_table.alias("spoken")
        speaker = spoken.c.speaker_id
        quoted = speaker == bound("speaker") if "speaker" in speakers else speaker.in_(bound("speakers"))
        conditions.append(sa.exists().where(spoken.c.article_id == a.c.id, quoted))
    if languages := _numbered(names, "language"):
        language = sa.func.lower(a.c.language)
        conditions.append(
            sa.or_(*(sa.or_(language == bound(name), language.like(bound(f"{name}_region"))) for name in languages))
        )
    if agencies := ({"agency", "agencies"} & names):
        credited = article_agency_table.c.entity_id
        by = credited == bound("agency") if "agency" in agencies else credited.in_(bound("agencies"))
        conditions.append(sa.exists().where(article_agency_table.c.article_id == a.c.id, by))
    return conditions


def _numbered(names: frozenset[str], prefix: str) -> list[str]:
    """`prefix_0`, `prefix_1`, … among the names, in order."""
    found = (name.removeprefix(f"{prefix}_") for name in names if name.startswith(f"{prefix}_"))
    return [f"{prefix}_{n}" for n in sorted(int(number) for number in found if number.isdigit())]


ENTITY_REF_COLUMNS = (
    entity_table.c.id,
    entity_table.c.slug,
    entity_table.c.kind,
    entity_table.c.name_ar,
    entity_table.c.name_en,
)


def entity_ref(row: Any) -> EntityRef:
    return EntityRef(id=row.id, slug=row.slug, kind=row.kind, name_ar=row.name_ar, name_en=row.name_en)


def fields_of(
    model: type[BaseModel],
    columns: sa.ColumnCollection[str, Any],
    made: Mapping[str, sa.ColumnElement[Any]] | None = None,
) -> dict[str, sa.ColumnElement[Any]]:
    """`model`'s fields in its order, each as `made` gives it or else the column of its name: what the
    database writes as the model's JSON (see `json_object`). A field neither has raises here."""
    made = made or {}
    return {name: made[name] if name in made else columns[name] for name in model.model_fields}


def json_object(dialect: str, fields: Mapping[str, sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """A JSON object made by the database, with these keys in this order. Nested, it stays an object."""
    pairs: list[sa.ColumnElement[Any]] = []
    for name, value in fields.items():
        pairs += [sa.literal_column(f"'{name}'"), value]
    return sa.func.json_build_object(*pairs) if dialect == "postgresql" else sa.func.json_object(*pairs)


def json_array(
    dialect: str, item: sa.ColumnElement[Any], rows: sa.Select[Any], *order: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    """The JSON `item` of each of `rows` (a select of no columns yet, correlated to the outer row), as
    an array in this order; empty, not null, when there are none."""
    if dialect == "postgresql":
        gathered = rows.add_columns(sa.func.json_agg(postgresql.aggregate_order_by(item, *order)))
        return sa.func.coalesce(gathered.scalar_subquery(), sa.literal_column("'[]'::json"))
    # json(): SQLite's JSON subtype survives neither the subquery that puts the items in order nor
    # the one that gathers them.
    ordered = rows.add_columns(item.label("item")).order_by(*order).subquery("items")
    return sa.func.json(sa.select(sa.func.json_group_array(sa.func.json(ordered.c.item))).scalar_subquery())


def json_column(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """A JSON column, to be nested in `json_object` as JSON rather than as a string (SQLite keeps it as text)."""
    return column if dialect == "postgresql" else sa.func.json(column)


def json_text(value: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[str]:
    """JSON made by the database, read as the text it is: served as it comes, or parsed by pydantic."""
    return sa.cast(value, sa.Text) if dialect == "postgresql" else sa.type_coerce(value, sa.Text)


def _sql(literal: str | int) -> sa.ColumnElement[Any]:
    # Constants written into the statement: as parameters, each would be processed on every execution.
    return sa.literal_column(f"'{literal}'" if isinstance(literal, str) else str(literal), sa.String)


def json_time(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[str]:
    """A UTC time as pydantic writes it: ISO 8601 ending in Z, with microseconds only if there are any."""
    if dialect == "postgresql":
        utc = sa.func.timezone(_sql("UTC"), column)
        whole = sa.func.to_char(utc, _sql("US"), type_=sa.String) == _sql("000000")
        fraction = sa.case((whole, _sql("")), else_=sa.func.to_char(utc, _sql(".US"), type_=sa.String))
        seconds = sa.func.to_char(utc, _sql('YYYY-MM-DD"T"HH24:MI:SS'), type_=sa.String)
    else:
        # SQLite holds the UTC time as "YYYY-MM-DD HH:MM:SS.ffffff" (see UTCDateTime).
        micro = sa.func.substr(column, _sql(21), type_=sa.String)
        fraction = sa.case((micro.in_([_sql(""), _sql("000000")]), _sql("")), else_=_sql(".") + micro)
        seconds = sa.func.replace(sa.func.substr(column, _sql(1), _sql(19), type_=sa.String), _sql(" "), _sql("T"))
    return seconds + fraction + _sql("Z")


def effective_sort(sort: Sort, search: Search | None) -> Sort:
    """Relevance needs a query; without one a list falls back to newest first."""
    return Sort.newest if sort is Sort.relevance and search is None else sort


def search_params(search: Search | None) -> dict[str, Any]:
    return {"search": search.expression} if search is not None else {}


def search_join(
    stmt: sa.Select[Any],
    sort: Sort,
    dialect: str | None,
    kind: str,
    id_col: sa.ColumnElement[Any],
    time_col: sa.ColumnElement[Any],
    *,
    walk: bool = False,
) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
    """Narrow a list to the hits of the query in parameter `search`, for a database of this
    `dialect` (None: no query), and say what it is ordered by: publication time, or relevance."""
    if dialect is None:
        return stmt, time_col
    found = hits(sa.bindparam("search", type_=sa.String), dialect, kind, scored=sort is Sort.relevance)
    if sort is Sort.relevance:
        return stmt.join(found, found.c.id == id_col), found.c.score
    # In time order the hits are collected once and tested as a set. As a join, SQLite walked the
    # list and ran the whole query on the index again for every story: 64 ms for a page of a query
    # with 2,500 hits at 100k stories. `walk` keeps SQLite walking the list in its index order,
    # stopping after a page (`+ 0`: left to itself, it may fetch every hit by its id and sort them
    # all); quotes, a million, are better reached from their hits. A walk suits a query with many
    # hits only: article lists pass a few hits as ids instead (app/services/articles.py).
    member = id_col + sa.literal_column("0") if walk and dialect == "sqlite" else id_col
    return stmt.where(member.in_(sa.select(found.c.id))), time_col
