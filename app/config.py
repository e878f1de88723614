"""Settings, read once from the environment (and a `.env` file if present)."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    log_level: str = "info"
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    page_timezone: str = Field(
        default="UTC", description="Time zone of date-times on plain-text pages that give none (IANA name)."
    )

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
