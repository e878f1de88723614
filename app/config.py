"""Settings, read once from the environment (and a `.env` file if present)."""

from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///wire.db",
        description="SQLAlchemy URL: sqlite:///path/to/file or postgresql://user@host/db",
    )
    load_demo: bool = Field(
        default=True,
        description="Load the demo corpus when `serve` starts on an empty database.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # No overflow by default: under load a request waits for one of the pool's connections. Overflow
    # connections are closed as soon as the pool is full again, so under steady load PostgreSQL forked
    # a backend for every few requests: 178 sessions in 5 s, and half the throughput (docs/performance.md).
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    log_level: str = "info"
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    page_timezone: str = Field(
        default="UTC", description="Time zone of date-times on plain-text pages that give none (IANA name)."
    )

    require_api_key: bool = Field(
        default=False, description="Reads need a key with the `read` scope (writes always need a key)."
    )
    rate_limit: str = Field(default="600/minute", description="Default quota per key, e.g. 600/minute.")
    anonymous_rate_limit: str = Field(default="120/minute", description="Quota per client address without a key.")
    redis_url: str | None = Field(
        default=None, description="Share rate-limit counters between processes through Redis (redis://host:6379)."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Partner origins allowed by CORS, comma-separated."
    )
    cache_control_lists: str = Field(
        default="public, max-age=60, stale-while-revalidate=300", description="Cache-Control of lists and items."
    )
    cache_control_versions: str = Field(
        default="public, max-age=86400, stale-while-revalidate=604800",
        description="Cache-Control of a story's numbered versions, which no longer change.",
    )
    validators_ttl: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long a process reuses the last change number for ETags, seconds. Writes through this "
        "process are seen at once; writes elsewhere within this time.",
    )
    response_cache_mb: int = Field(
        default=64, ge=0, le=4096, description="Memory per process for 200 answers kept by ETag (0 turns it off)."
    )
    long_poll_max: int = Field(default=30, ge=0, le=300, description="Longest `wait` on the change feed, seconds.")
    public_url: str = Field(
        default="", description="Base URL partners reach the API at, for links in feeds (default: from the request)."
    )

    @field_validator("rate_limit", "anonymous_rate_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        parse(value)
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [o.strip() for o in value.split(",") if o.strip()] if isinstance(value, str) else value

    @field_validator("page_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _supported(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("DATABASE_URL must start with sqlite:// or postgresql://")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
