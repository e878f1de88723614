"""Settings, read once from the environment (and a `.env` file if present)."""

from functools import lru_cache

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
