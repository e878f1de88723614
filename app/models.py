"""Tables and the schemas that read and write them.

Per entity: `XBase` (shared fields), `X` (the table), `XCreate` (input) and
`XPublic` (output). Public schemas embed small `...Ref` schemas rather than
inheriting from tables, as SQLModel's tutorial advises.
"""

import base64
import hashlib
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, UrlConstraints
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, SQLModel
from sqlmodel import Field as DBField

T = TypeVar("T")

# Constraint names are part of the schema that migrations must reproduce.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetimes on both databases, stored as UTC.

    SQLite has no time zone type and hands back naive values; normalising to
    UTC on the way in keeps its text ordering equal to time ordering.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Every text field that comes from outside goes through this.
Text = Annotated[str, AfterValidator(_no_nul)]


# What a public article id (see `public_id_for`) and a section slug look like, for the routes that
# validate them and the gate that tells which section or article a request is confined to.
ARTICLE_ID_PATTERN = r"[a-z2-7]{16}"
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]{0,63}"


def public_id_for(guid: str) -> str:
    """A short, stable, opaque article id derived from the wire guid."""
    digest = hashlib.sha256(guid.encode()).digest()[:10]
    return base64.b32encode(digest).decode().lower()


class ArticleStatus(StrEnum):
    usable = "usable"
    withheld = "withheld"
    canceled = "canceled"


class EntityKind(StrEnum):
    person = "person"
    organization = "organization"
    agency = "agency"
    government = "government"
    place = "place"
    unnamed_group = "unnamed_group"


class QuoteKind(StrEnum):
    direct = "direct"
    indirect = "indirect"
    mixed = "mixed"


class AttributionMethod(StrEnum):
    extracted = "extracted"
    editor = "editor"


class MentionRole(StrEnum):
    speaker = "speaker"
    subject = "subject"
    place = "place"


class TranslationMethod(StrEnum):
    human = "human"
    machine = "machine"


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    # Portable: VARCHAR plus a CHECK constraint on both databases.
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


# --- Section ---------------------------------------------------------------


# Fields a section is created with.
class SectionBase(SQLModel):
    slug: str = DBField(max_length=64, description="URL-safe identifier.", schema_extra={"examples": ["politics"]})
    name_ar: str = DBField(max_length=200, description="Arabic name.", schema_extra={"examples": ["سياسة"]})
    name_en: str = DBField(max_length=200, description="English name.", schema_extra={"examples": ["Politics"]})


# The section table; sections nest one level (football under sports).
class Section(SectionBase, table=True):
    id: int | None = DBField(default=None, primary_key=True)
    slug: str = DBField(max_length=64, unique=True)
    parent_id: int | None = DBField(default=None, foreign_key="section.id")
    # Usable articles in the section, kept by every write that changes it (app/services/counters.py).
    article_count: int = DBField(default=0, sa_column_kwargs={"server_default": "0"})


# A section as embedded in articles and quotes.
class SectionRef(BaseModel):
    slug: str = Field(description="URL-safe identifier.", examples=["politics"])
    name_ar: str = Field(description="Arabic name.", examples=["سياسة"])
    name_en: str = Field(description="English name.", examples=["Politics"])


# A section in the sections list.
class SectionPublic(SectionRef):
    parent: str | None = Field(description="Slug of the parent section, if any.", examples=[None])
    article_count: int = Field(description="Number of usable articles in this section.", examples=[12])


# --- Entity ----------------------------------------------------------------


# Fields shared by an entity's table and its schemas.
class EntityBase(SQLModel):
    kind: EntityKind = DBField(
        sa_type=_enum(EntityKind, "entity_kind"),
        description="What the entity is.",
    )
    name_ar: str | None = DBField(default=None, max_length=300, description="Canonical Arabic name.")
    name_en: str | None = DBField(default=None, max_length=300, description="Canonical English (Latin) name.")
    title: str | None = DBField(default=None, max_length=300, description="Current title or role.")
    wikidata_qid: str | None = DBField(
        default=None, max_length=20, regex=r"^Q[1-9][0-9]{0,11}$", description="Wikidata item id, if known."
    )


# The entity table: people, organisations, agencies, governments, places and
# unnamed groups ("analysts"), whether quoted or only mentioned.
class Entity(EntityBase, table=True):
    __table_args__ = (sa.Index("ix_entity_kind_id", "kind", "id"),)

    id: int | None = DBField(default=None, primary_key=True)
    slug: str = DBField(max_length=128, unique=True)
    aliases: list[str] = DBField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    affiliation_id: int | None = DBField(default=None, foreign_key="entity.id", ondelete="SET NULL")
    # Set when an editor merged this entity into another: the row stays so old ids still resolve.
    merged_into_id: int | None = DBField(default=None, foreign_key="entity.id")
    # Quotes attributed to the entity in usable articles, and usable articles that mention it: stored,
    # and kept exact by every write that changes them (app/services/counters.py), so that reading them
    # does not cost what the entity has of quotes and stories.
    quote_count: int = DBField(default=0, sa_column_kwargs={"server_default": "0"})
    article_count: int = DBField(default=0, sa_column_kwargs={"server_default": "0"})


# Every normalised name and alias of an entity, for prefix search and for
# resolving a speaker as written to the catalogue.
class EntityName(SQLModel, table=True):
    __tablename__ = "entity_name"
    # Pattern ops let PostgreSQL use the index for `LIKE 'prefix%'` whatever the collation.
    __table_args__ = (
        sa.Index("ix_entity_name_norm", "norm", "entity_id", postgresql_ops={"norm": "varchar_pattern_ops"}),
    )

    entity_id: int = DBField(foreign_key="entity.id", primary_key=True, ondelete="CASCADE")
    norm: str = DBField(primary_key=True, max_length=300)
    # A story's words find the names that can occur in it, without reading the whole catalogue.
    first: str = DBField(max_length=300, index=True)


# An entity as embedded in other resources.
class EntityRef(BaseModel):
    id: int = Field(description="Entity id.", examples=[7])
    slug: str = Field(description="URL-safe identifier.", examples=["سامر-الحداد"])
    kind: EntityKind = Field(description="What the entity is.", examples=["person"])
    name_ar: str | None = Field(description="Canonical Arabic name.", examples=["سامر الحداد"])
    name_en: str | None = Field(description="Canonical English name.", examples=["Samer Haddad"])


# A speaker as embedded in a quote: the entity plus its title when it spoke.
class SpeakerRef(EntityRef):
    title: str | None = Field(
        description="The speaker's title at the time of the quote, as the story gave it.",
        examples=["المتحدث باسم وزارة الخارجية"],
    )


# An entity as served by /v1/entities.
class EntityPublic(EntityRef):
    aliases: list[str] = Field(description="Other names, in Arabic or Latin script.", examples=[["الحداد", "Haddad"]])
    title: str | None = Field(description="Current title or role.", examples=["المتحدث باسم وزارة الخارجية"])
    affiliation: EntityRef | None = Field(description="The entity this one belongs to, if any.")
    wikidata_qid: str | None = Field(description="Wikidata item id, if known.", examples=[None])
    quote_count: int = Field(description="Quotes attributed to this entity in usable articles.", examples=[14])
    article_count: int = Field(description="Usable articles that mention this entity.", examples=[6])


# An entity as given in the demo corpus and, later, by editors.
class EntityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=128, description="Slug to create the entity under.")
    kind: EntityKind
    name_ar: Text | None = Field(default=None, max_length=300)
    name_en: Text | None = Field(default=None, max_length=300)
    aliases: list[Text] = Field(default_factory=list, max_length=100)
    title: Text | None = Field(default=None, max_length=300)
    affiliation: str | None = Field(default=None, description="Key of the entity this one belongs to.")
    wikidata_qid: str | None = Field(default=None, pattern=r"^Q[1-9][0-9]{0,11}$")


# --- Article ---------------------------------------------------------------


# Where a translated story came from and who translated it.
class Provenance(BaseModel):
    original_language: str | None = Field(
        default=None, max_length=35, description="BCP 47 language of the agency's original.", examples=["en"]
    )
    original_headline: Text | None = Field(
        default=None,
        max_length=1000,
        description="The agency's headline, untranslated.",
        examples=["Qamaristan finance minister promises budget relief"],
    )
    agency_item_id: Text | None = Field(
        default=None,
        max_length=255,
        description="The agency's own id of the original item.",
        examples=["EW-2026-11-20-0412"],
    )
    agency_url: Annotated[HttpUrl, UrlConstraints(max_length=2000)] | None = Field(
        default=None,
        description="The original item at the agency.",
        examples=["https://wire.example.org/items/EW-2026-11-20-0412"],
    )
    translated_by: Text | None = Field(
        default=None, max_length=300, description="The desk or person who translated it.", examples=["قسم الترجمة"]
    )
    translation_method: TranslationMethod | None = Field(
        default=None, description="Whether a human or a machine translated it.", examples=["human"]
    )


# A picture that goes with a story.
class Image(BaseModel):
    url: HttpUrl | None = Field(
        default=None,
        description="Where the picture is; null for a caption copied without its picture.",
        examples=["https://media.example.org/demo/a0001-1.jpg"],
    )
    caption: Text | None = Field(
        default=None,
        max_length=2000,
        description="Caption as published.",
        examples=["وزير المالية سامر الحداد خلال مؤتمر صحفي في مدينة الريح"],
    )
    credit: Text | None = Field(default=None, max_length=300, description="Who to credit.", examples=["East Wire"])


# Fields shared by the article table and its schemas.
class ArticleBase(SQLModel):
    guid: str = DBField(max_length=255, description="The wire's own id of the story, stable across versions.")
    version: int = DBField(default=1, ge=1, description="Version number, 1 for the first.")
    language: str = DBField(max_length=35, description="BCP 47 language tag of this text.")
    headline: str = DBField(max_length=1000, description="Headline.")
    summary: str | None = DBField(default=None, max_length=5000, description="Standfirst, if any.")
    byline: str | None = DBField(default=None, max_length=500, description="Byline as published.")
    desk: str | None = DBField(default=None, max_length=300, description="Desk that produced the story.")
    dateline: str | None = DBField(default=None, max_length=300, description="Dateline place as written.")
    published_at: datetime = DBField(sa_type=UTCDateTime, description="First publication time.")
    updated_at: datetime = DBField(sa_type=UTCDateTime, description="Latest update time.")
    status: ArticleStatus = DBField(
        default=ArticleStatus.usable,
        sa_type=_enum(ArticleStatus, "article_status"),
        description="usable, withheld or canceled (killed).",
    )
    original_language: str | None = DBField(default=None, max_length=35)
    original_headline: str | None = DBField(default=None, max_length=1000)
    agency_item_id: str | None = DBField(default=None, max_length=255)
    agency_url: str | None = DBField(default=None, max_length=2000)
    translated_by: str | None = DBField(default=None, max_length=300)
    translation_method: TranslationMethod | None = DBField(
        default=None,
        sa_type=_enum(TranslationMethod, "translation_method"),
    )


# The article table: the current version of one translated wire story.
class Article(ArticleBase, table=True):
    __table_args__ = (
        sa.Index("ix_article_status_published", "status", "published_at", "id"),
        sa.Index("ix_article_status_updated", "status", "updated_at", "id"),
        sa.Index("ix_article_section_published", "section_id", "published_at", "id"),
        sa.Index("ix_article_section_status", "section_id", "status"),
        sa.Index("ix_article_language_published", "language", "published_at", "id"),
    )

    id: int | None = DBField(default=None, primary_key=True)
    public_id: str = DBField(max_length=32, unique=True)
    guid: str = DBField(max_length=255, unique=True)
    section_id: int = DBField(foreign_key="section.id")
    body: list[str] = DBField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    images: list[dict[str, Any]] = DBField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # Partners see nothing of a story before its embargo lifts.
    embargoed_until: datetime | None = DBField(default=None, sa_type=UTCDateTime, index=True)
    # The embargo (a value of `embargoed_until`) whose lift the change log accounts for: logged as
    # `released`, or found to need no event. Writers leave it alone: an embargo they set or move
    # differs from it, and is looked at again once it lifts (app/services/changes.py).
    embargo_released: datetime | None = DBField(default=None, sa_type=UTCDateTime)
    # Hash of the story as last received, so that a resend of the same content changes nothing.
    content_hash: str = DBField(max_length=64, sa_column_kwargs={"server_default": ""})


class ChangeKind(StrEnum):
    created = "created"
    updated = "updated"
    corrected = "corrected"
    killed = "killed"


# Every version of a story, as received (or as an editor corrected it), never rewritten.
class ArticleVersion(SQLModel, table=True):
    __tablename__ = "article_version"

    article_id: int = DBField(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    version: int = DBField(primary_key=True)
    change: ChangeKind = DBField(sa_type=_enum(ChangeKind, "change_kind"))
    changed_fields: list[str] = DBField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    content: dict[str, Any] = DBField(sa_column=Column(JSONType, nullable=False))
    content_hash: str = DBField(max_length=64)
    created_at: datetime = DBField(sa_type=UTCDateTime)


class Scope(StrEnum):
    read = "read"
    ingest = "ingest"
    admin = "admin"


# An API key: only a hash of the secret is kept; the prefix finds the row.
class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = DBField(default=None, primary_key=True)
    name: str = DBField(max_length=200)
    prefix: str = DBField(max_length=16, unique=True)
    secret_hash: str = DBField(max_length=64)
    scopes: list[str] = DBField(default_factory=list, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = DBField(sa_type=UTCDateTime)
    revoked_at: datetime | None = DBField(default=None, sa_type=UTCDateTime)
    # A per-key quota such as "600/minute"; none means the configured default.
    rate_limit: str | None = DBField(default=None, max_length=50)
    # Section slugs the key is licensed for (children included); none means every section.
    sections: list[str] | None = DBField(default=None, sa_column=Column(JSONType, nullable=True))


# Requests per key per day, for admins and billing.
class KeyUsage(SQLModel, table=True):
    __tablename__ = "key_usage"

    key_id: int = DBField(foreign_key="api_key.id", primary_key=True, ondelete="CASCADE")
    day: date = DBField(primary_key=True)
    requests: int = DBField(default=0)


class ChangeObject(StrEnum):
    article = "article"
    quote = "quote"
    entity = "entity"


class ChangeAction(StrEnum):
    created = "created"
    updated = "updated"
    corrected = "corrected"
    killed = "killed"
    merged = "merged"
    # The embargo lifted: the story is now visible to partners (nothing of it changed).
    released = "released"


# The change log: one row per change to an article, quote or entity, in commit order.
class Change(SQLModel, table=True):
    __tablename__ = "change"
    __table_args__ = (sa.Index("ix_change_object", "object", "object_id", "seq"),)

    seq: int | None = DBField(
        default=None,
        sa_column=Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    object: ChangeObject = DBField(sa_type=_enum(ChangeObject, "change_object"))
    object_id: str = DBField(max_length=32)
    action: ChangeAction = DBField(sa_type=_enum(ChangeAction, "change_action"))
    version: int | None = DBField(default=None)
    # The article's section, so that a key licensed for some sections sees only their changes.
    section_id: int | None = DBField(default=None)
    # The section a story moved out of, if it moved: keys licensed for it see the change too, and
    # drop the story when its url answers 404. Without it a mirror would keep the story for good.
    left_section_id: int | None = DBField(default=None)
    detail: dict[str, Any] = DBField(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    at: datetime = DBField(sa_type=UTCDateTime)


# The newest change within each scope that answers are validated by: `article:<id>` (the article,
# its versions and quotes) and `section:<slug>` (its stories, its children's included). ETags of
# answers confined to a scope are made from its row (app/delivery.py), so that a story saved in
# one section leaves the other sections' and articles' ETags, and the caches keyed by them, alone.
class ChangeScope(SQLModel, table=True):
    __tablename__ = "change_scope"
    # Each process asks which scopes changed since it last looked (app/services/changes.py).
    __table_args__ = (sa.Index("ix_change_scope_seq", "seq"),)

    scope: str = DBField(primary_key=True, max_length=80)
    seq: int = DBField(sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    at: datetime = DBField(sa_type=UTCDateTime)


# Agencies credited on an article, in credit order.
class ArticleAgency(SQLModel, table=True):
    __tablename__ = "article_agency"
    __table_args__ = (
        sa.Index("ix_article_agency_entity", "entity_id", "article_id"),
        # An agency's stories, newest first, read in index order (see app/services/articles.py).
        sa.Index("ix_article_agency_entity_published", "entity_id", "published_at", "article_id"),
    )

    article_id: int = DBField(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    entity_id: int = DBField(foreign_key="entity.id", primary_key=True)
    position: int = DBField(default=0)
    # The article's, copied: rewritten with the credits whenever the story is saved.
    published_at: datetime = DBField(sa_type=UTCDateTime)


# Which entities an article mentions, in what role and how often.
class Mention(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_mention_entity_article", "entity_id", "article_id"),
        # An entity's stories, newest first, read in index order (see app/services/articles.py).
        sa.Index("ix_mention_entity_published", "entity_id", "published_at", "article_id"),
    )

    article_id: int = DBField(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    entity_id: int = DBField(foreign_key="entity.id", primary_key=True)
    role: MentionRole = DBField(
        primary_key=True,
        sa_type=_enum(MentionRole, "mention_role"),
    )
    count: int = DBField(default=1, ge=1)
    # The article's, copied: rewritten with the mentions whenever the story is saved.
    published_at: datetime = DBField(sa_type=UTCDateTime)


# --- Quote -----------------------------------------------------------------


# Fields shared by the quote table and its schemas.
class QuoteBase(SQLModel):
    text: str = DBField(description="The quoted or reported words.")
    kind: QuoteKind = DBField(
        sa_type=_enum(QuoteKind, "quote_kind"),
        description="direct (in quotation marks), indirect (reported speech) or mixed.",
    )
    cue: str | None = DBField(default=None, max_length=100, description="The attribution cue as written.")
    speaker_mention: str | None = DBField(default=None, max_length=300, description="The speaker as written.")
    speaker_title: str | None = DBField(default=None, max_length=300, description="The speaker's title at the time.")
    paragraph: int = DBField(ge=0, description="Index of the body paragraph the quote starts in.")
    start_offset: int = DBField(ge=0, description="Character offset of the quote in its paragraph.")
    end_offset: int = DBField(ge=0, description="Character offset just past the quote.")
    confidence: float = DBField(default=1.0, ge=0, le=1, description="How sure the attribution is, 0 to 1.")
    method: AttributionMethod = DBField(
        default=AttributionMethod.extracted,
        sa_type=_enum(AttributionMethod, "attribution_method"),
        description="extracted by the pipeline or set by an editor.",
    )


# The quote table: one quote in the current version of an article.
class Quote(QuoteBase, table=True):
    __table_args__ = (
        sa.Index("ix_quote_article_position", "article_id", "position"),
        sa.Index("ix_quote_speaker_article", "speaker_id", "article_id"),
        sa.Index("ix_quote_kind_published", "kind", "published_at", "id"),
        sa.Index("ix_quote_published", "published_at", "id"),
        sa.Index("ix_quote_speaker_published", "speaker_id", "published_at", "id"),
        # A speaker's stories newest first, in the order their article list is walked (migration 0012).
        sa.Index("ix_quote_speaker_published_article", "speaker_id", "published_at", "article_id"),
    )

    id: int | None = DBField(default=None, primary_key=True)
    article_id: int = DBField(foreign_key="article.id", ondelete="CASCADE")
    speaker_id: int | None = DBField(default=None, foreign_key="entity.id", ondelete="SET NULL")
    position: int = DBField(default=0, description="Order of the quote in its article.")
    # The article's publication time, copied: quote lists are ordered by it, and an index on
    # (speaker, time) reads a speaker's newest quotes without sorting all of them.
    published_at: datetime = DBField(sa_type=UTCDateTime)


# An entity the sender already tagged on a story (ninjs people, organisations, places).
class EntityTag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(
        min_length=1, max_length=300, description="Name as the sender wrote it.", examples=["سامر الحداد"]
    )
    kind: EntityKind = Field(description="What the entity is.", examples=["person"])
    role: MentionRole = Field(default=MentionRole.subject, description="subject or place.", examples=["subject"])
    wikidata_qid: str | None = Field(
        default=None, pattern=r"^Q[1-9][0-9]{0,11}$", description="Wikidata item id, if the sender gave one."
    )


# A story as it comes in: our own JSON format, and what ninjs and text pages are read into.
class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guid: Text = Field(
        min_length=1,
        max_length=255,
        description="The wire's id of the story; the same guid makes a new version.",
        examples=["urn:newsml:east-wire:20261120:0412"],
    )
    language: Text = Field(
        min_length=2,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="BCP 47 language of this text.",
        examples=["ar"],
    )
    section: Text = Field(
        min_length=1,
        max_length=200,
        description="Section slug or name (Arabic or English); a new name makes a new section.",
        examples=["politics"],
    )
    headline: Text = Field(
        min_length=1,
        max_length=1000,
        description="Headline.",
        examples=["وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"],
    )
    summary: Text | None = Field(default=None, max_length=5000, description="Standfirst, if any.")
    paragraphs: list[Annotated[Text, Field(max_length=100_000)]] = Field(
        min_length=1,
        max_length=2000,
        description="Body paragraphs, in order; at least one.",
        examples=[["قال وزير المالية سامر الحداد الثلاثاء إن الموازنة الجديدة ستخفف الأعباء عن الأسر."]],
    )
    byline: Text | None = Field(
        default=None, max_length=500, description="Byline as published.", examples=["قسم الترجمة - وكالات"]
    )
    desk: Text | None = Field(
        default=None, max_length=300, description="Desk that produced it.", examples=["قسم الترجمة"]
    )
    agencies: list[Annotated[Text, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list,
        max_length=20,
        description="Credited agencies: entity slugs or names.",
        examples=[["east-wire"]],
    )
    dateline: Text | None = Field(default=None, max_length=300, description="Dateline place as written.")
    published_at: AwareDatetime = Field(description="First publication time, with time zone.")
    updated_at: AwareDatetime | None = Field(default=None, description="Latest update time; defaults to published_at.")
    status: ArticleStatus = Field(default=ArticleStatus.usable, description="usable, withheld or canceled.")
    embargoed: AwareDatetime | None = Field(
        default=None, description="Partners see nothing of the story before this time."
    )
    images: list[Image] = Field(default_factory=list, max_length=100, description="Pictures with captions.")
    provenance: Provenance = Field(default_factory=Provenance, description="Where it came from, who translated it.")
    entities: list[EntityTag] = Field(
        default_factory=list, max_length=500, description="Entities the sender tagged; quotes are found by the service."
    )

    @property
    def last_updated(self) -> datetime:
        return self.updated_at or self.published_at


# An article as embedded in a quote.
class ArticleRef(BaseModel):
    id: str = Field(description="Article id.", examples=["k3v7q2m9x4p8r6t1"])
    headline: str = Field(description="Headline.", examples=["وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"])
    language: str = Field(description="BCP 47 language tag.", examples=["ar"])
    published_at: datetime = Field(description="First publication time.", examples=["2026-11-20T05:30:00Z"])
    section: SectionRef = Field(description="The article's section.")


# An article in a list: everything but the body, quotes and entities.
class ArticleSummary(BaseModel):
    id: str = Field(description="Article id (stable across versions).", examples=["k3v7q2m9x4p8r6t1"])
    guid: str = Field(description="The wire's own id of the story.", examples=["urn:demo:a:0001"])
    version: int = Field(description="Version number, 1 for the first.", examples=[2])
    language: str = Field(description="BCP 47 language tag.", examples=["ar"])
    headline: str = Field(description="Headline.", examples=["وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"])
    summary: str | None = Field(
        description="Standfirst, if any.", examples=["أعلنت حكومة قمرستان خطة لخفض الضرائب على السلع الأساسية."]
    )
    section: SectionRef = Field(description="The article's section.")
    byline: str | None = Field(description="Byline as published.", examples=["قسم الترجمة - وكالات"])
    agencies: list[EntityRef] = Field(description="Agencies credited, in credit order.")
    dateline: str | None = Field(description="Dateline place as written.", examples=["مدينة الريح"])
    published_at: datetime = Field(description="First publication time (UTC).", examples=["2026-11-20T05:30:00Z"])
    updated_at: datetime = Field(description="Latest update time (UTC).", examples=["2026-11-20T09:10:00Z"])
    status: ArticleStatus = Field(description="usable, withheld or canceled.", examples=["usable"])
    quote_count: int = Field(description="Number of quotes in the story.", examples=[9])


# A quote as embedded in its article.
class QuoteInArticle(BaseModel):
    id: int = Field(description="Quote id.", examples=[101])
    text: str = Field(
        description="The quoted or reported words.", examples=["الموازنة الجديدة ستخفف الأعباء عن الأسر محدودة الدخل"]
    )
    kind: QuoteKind = Field(description="direct, indirect or mixed.", examples=["direct"])
    cue: str | None = Field(description="Attribution cue as written.", examples=["وقال"])
    speaker: SpeakerRef | None = Field(description="Who said it, if attributed.")
    speaker_mention: str | None = Field(description="The speaker as written in the story.", examples=["الحداد"])
    paragraph: int = Field(description="Index of the body paragraph the quote starts in.", examples=[2])
    start: int = Field(description="Character offset of the quote in that paragraph.", examples=[41])
    end: int = Field(description="Character offset just past the quote.", examples=[93])
    confidence: float = Field(description="How sure the attribution is, 0 to 1.", examples=[0.93])
    method: AttributionMethod = Field(description="extracted or editor.", examples=["extracted"])


# A quote as served by /v1/quotes, with the article it comes from.
class QuotePublic(QuoteInArticle):
    article: ArticleRef = Field(description="The article the quote appears in.")


# An entity mentioned by an article.
class MentionPublic(BaseModel):
    entity: EntityRef = Field(description="The entity mentioned.")
    role: MentionRole = Field(description="speaker, subject or place.", examples=["speaker"])
    count: int = Field(description="How often the story names it.", examples=[3])


# An article in a list with `expand=quotes,entities`.
class ArticleExpanded(ArticleSummary):
    quotes: list[QuoteInArticle] | None = Field(default=None, description="With expand=quotes: its quotes.")
    entities: list[MentionPublic] | None = Field(default=None, description="With expand=entities: what it names.")


# One article with its body, quotes, entities and provenance.
class ArticlePublic(ArticleSummary):
    paragraphs: list[str] = Field(description="Body paragraphs, in order.")
    desk: str | None = Field(description="Desk that produced the story.", examples=["قسم الترجمة"])
    images: list[Image] = Field(description="Pictures with captions and credits.")
    provenance: Provenance = Field(description="Where the story came from and who translated it.")
    quotes: list[QuoteInArticle] = Field(description="Quotes in body order, with their speakers.")
    entities: list[MentionPublic] = Field(description="Entities the story mentions.")


def utcnow() -> datetime:
    return datetime.now(UTC)


# Core handles on the tables, for queries that select only the columns a
# response needs instead of loading ORM objects.
section_table = SQLModel.metadata.tables["section"]
entity_table = SQLModel.metadata.tables["entity"]
entity_name_table = SQLModel.metadata.tables["entity_name"]
article_table = SQLModel.metadata.tables["article"]
article_agency_table = SQLModel.metadata.tables["article_agency"]
mention_table = SQLModel.metadata.tables["mention"]
quote_table = SQLModel.metadata.tables["quote"]
article_version_table = SQLModel.metadata.tables["article_version"]
api_key_table = SQLModel.metadata.tables["api_key"]
key_usage_table = SQLModel.metadata.tables["key_usage"]
change_table = SQLModel.metadata.tables["change"]
change_scope_table = SQLModel.metadata.tables["change_scope"]


def embargo_unreleased(article: sa.FromClause) -> sa.ColumnElement[bool]:
    """An embargo whose lift the change log does not account for yet (see `Article.embargo_released`)."""
    return sa.and_(
        article.c.embargoed_until.is_not(None),
        sa.or_(article.c.embargo_released.is_(None), article.c.embargo_released != article.c.embargoed_until),
    )


# The change feed looks for lifted embargoes on every read; this index holds only those it may find.
# A query must state the predicate whole for SQLite to use it.
sa.Index(
    "ix_article_embargo_unreleased",
    article_table.c.embargoed_until,
    postgresql_where=embargo_unreleased(article_table),
    sqlite_where=embargo_unreleased(article_table),
)


# --- Writes ----------------------------------------------------------------


# What happened to a story that was sent, corrected or killed.
class SaveOutcome(BaseModel):
    status: str = Field(
        description="created, updated (new version), corrected, killed or unchanged (same content resent).",
        examples=["created"],
    )
    id: str = Field(description="Article id.", examples=["k3v7q2m9x4p8r6t1"])
    version: int = Field(description="The story's version after this request.", examples=[1])


# An editor's correction of a story: only the fields given change.
class ArticlePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Text | None = Field(
        default=None,
        min_length=2,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
        description="BCP 47 language.",
    )
    section: Text | None = Field(default=None, min_length=1, max_length=200, description="Section slug or name.")
    headline: Text | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Headline.",
        examples=["وزير المالية: الموازنة ستخفف الأعباء عن الأسر محدودة الدخل"],
    )
    summary: Text | None = Field(default=None, max_length=5000, description="Standfirst.")
    paragraphs: list[Annotated[Text, Field(max_length=100_000)]] | None = Field(
        default=None, min_length=1, max_length=2000, description="The whole body, replacing the old one."
    )
    byline: Text | None = Field(default=None, max_length=500, description="Byline.")
    desk: Text | None = Field(default=None, max_length=300, description="Desk.")
    agencies: list[Annotated[Text, Field(min_length=1, max_length=300)]] | None = Field(
        default=None, max_length=20, description="Credited agencies (slugs or names)."
    )
    dateline: Text | None = Field(default=None, max_length=300, description="Dateline place.")
    updated_at: AwareDatetime | None = Field(default=None, description="Update time to show.")
    status: ArticleStatus | None = Field(
        default=None, description="usable or withheld; to kill a story, DELETE it.", examples=["withheld"]
    )
    embargoed: AwareDatetime | None = Field(default=None, description="Embargo: partners see nothing before it.")
    images: list[Image] | None = Field(default=None, max_length=100, description="Pictures.")
    provenance: Provenance | None = Field(default=None, description="Translation provenance.")


# One entry in a story's version history.
class VersionSummary(BaseModel):
    version: int = Field(description="Version number.", examples=[2])
    change: ChangeKind = Field(description="created, updated, corrected or killed.", examples=["corrected"])
    changed_fields: list[str] = Field(
        description="Top-level fields that differ from the previous version.", examples=[["headline", "paragraphs"]]
    )
    created_at: datetime = Field(description="When the service stored this version.")


# One version of a story as it was received or corrected.
class VersionPublic(VersionSummary):
    content: dict[str, Any] = Field(
        description="The story as it stood in this version, in the ingest format. A killed story's versions "
        "keep only their metadata: body, summary and images are no longer served."
    )


# An editor's correction of a quote; the correction survives later re-extraction while its text stays.
class QuotePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text | None = Field(
        default=None, min_length=1, max_length=20000, description="The exact words; must occur in the article's body."
    )
    speaker_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The speaking entity's id.")
    kind: QuoteKind | None = Field(default=None, description="direct, indirect or mixed.")


# An editor's change to an entity: only the fields given change.
class EntityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EntityKind | None = Field(default=None, description="What the entity is.")
    name_ar: Text | None = Field(default=None, min_length=1, max_length=300, description="Canonical Arabic name.")
    name_en: Text | None = Field(default=None, min_length=1, max_length=300, description="Canonical English name.")
    add_aliases: list[Annotated[Text, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=100, description="Names to add, Arabic or Latin.", examples=[["الحداد"]]
    )
    remove_aliases: list[Annotated[Text, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=100, description="Names to remove."
    )
    title: Text | None = Field(default=None, max_length=300, description="Current title or role.")
    affiliation_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Entity this one belongs to.")
    wikidata_qid: str | None = Field(default=None, pattern=r"^Q[1-9][0-9]{0,11}$", description="Wikidata item id.")


# Merge another entity into this one.
class EntityMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_id: int = Field(ge=1, le=2**31 - 1, description="The entity to merge into this one; it then redirects here.")


# --- Partner delivery ------------------------------------------------------------


# One entry of the change feed.
class ChangePublic(BaseModel):
    object: ChangeObject = Field(description="article, quote or entity.", examples=["article"])
    id: str = Field(description="The changed object's id.", examples=["k3v7q2m9x4p8r6t1"])
    action: ChangeAction = Field(
        description="created, updated (new version), corrected, killed (tombstone), merged (into `detail.into`) "
        "or released (the embargo lifted: the story is now visible).",
        examples=["updated"],
    )
    version: int | None = Field(description="The article's version after the change.", examples=[2])
    at: datetime = Field(description="When the change was committed.")
    url: str = Field(description="Where to fetch the object now.", examples=["/v1/articles/k3v7q2m9x4p8r6t1"])
    detail: dict[str, Any] = Field(description="Extra facts: `into` for a merge, `article` for a quote.")


# A page of the change feed.
class ChangePage(BaseModel):
    items: list[ChangePublic] = Field(description="Changes in commit order.")
    next_cursor: str = Field(description="Pass as `cursor` to continue; never expires. Returned even when empty.")


# Requests one key made on one day.
class UsagePublic(BaseModel):
    key: str = Field(description="The key's prefix.", examples=["3f9c0a1b2c4d"])
    name: str = Field(description="Who the key is for.", examples=["partner-sports"])
    day: date = Field(description="UTC day.")
    requests: int = Field(description="Requests counted (304 answers are free).", examples=[1520])


# --- Search ------------------------------------------------------------------------


# Where a query matched, so that a client can highlight it itself (right-to-left safe: logical offsets).
class Highlight(BaseModel):
    field: str = Field(description="headline, summary, paragraph or text (a quote's).", examples=["paragraph"])
    paragraph: int | None = Field(default=None, description="Which body paragraph, for field `paragraph`.")
    text: str = Field(description="An excerpt of the field, as displayed.", examples=["قال وزير المالية إن الموازنة"])
    offset: int = Field(description="Where the excerpt starts in the field, in characters.", examples=[0])
    matches: list[tuple[int, int]] = Field(
        description="[start, end) of each match within the excerpt, in characters.", examples=[[[14, 22]]]
    )


# An article found by a search.
class ArticleHit(BaseModel):
    article: ArticleSummary = Field(description="The article.")
    highlights: list[Highlight] = Field(description="Where it matched.")


# A quote found by a search.
class QuoteHit(BaseModel):
    quote: QuotePublic = Field(description="The quote, with its speaker and article.")
    highlights: list[Highlight] = Field(description="Where it matched.")


# An entity found by a search.
class EntityHit(BaseModel):
    entity: EntityPublic = Field(description="The entity.")
    similarity: float = Field(description="How close its best name is to the query, 0 to 1.", examples=[0.54])


# One kind of result of /v1/search.
class HitGroup(BaseModel, Generic[T]):
    items: list[T] = Field(description="The best matches, most relevant first.")
    more: str | None = Field(description="The list that pages through all of them, when there are more.")


# Results of /v1/search, per kind.
class SearchResults(BaseModel):
    query: str = Field(description="The query as given.", examples=["الموازنة"])
    articles: HitGroup[ArticleHit] | None = Field(description="Articles, if asked for.")
    quotes: HitGroup[QuoteHit] | None = Field(description="Quotes, if asked for.")
    entities: HitGroup[EntityHit] | None = Field(description="Entities, if asked for.")
