"""Settings from the environment.

Everything that differs between a laptop and a county deployment comes from here, so the rest of
the code takes a `Settings` value and never reads `os.environ` itself.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_FILE = "cungoods.sqlite3"


class Settings(BaseSettings):
    """Server settings; each field reads the environment variable named beside it."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default=f"sqlite://{DEFAULT_SQLITE_FILE}",
        validation_alias="DATABASE_URL",
        description="sqlite://FILE (embedded default) or postgres://USER@HOST:PORT/DB",
    )
    secret_key: str | None = Field(default=None, validation_alias="CUNGOODS_SECRET_KEY")
    time_zone: str = Field(default="Asia/Shanghai", validation_alias="CUNGOODS_TZ")
    env: str = Field(default="development", validation_alias="CUNGOODS_ENV")
    token_ttl_seconds: int = Field(default=7 * 24 * 3600, validation_alias="CUNGOODS_TOKEN_TTL")
    demo: bool = Field(
        default=True,
        validation_alias="CUNGOODS_DEMO",
        description="seed the demo county into an empty database on `serve`",
    )
    max_page_size: int = 100
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    # Abuse limits (issue 7). Rate limits are per process, in memory (services/ratelimit.py).
    max_query_cost: int = Field(
        default=5000,
        validation_alias=AliasChoices("CUNGOODS_MAX_QUERY_COST", "max_query_cost"),
        description="the cost budget of one GraphQL request (see api/cost.py)",
    )
    max_body_bytes: int = Field(
        default=256 * 1024,
        validation_alias=AliasChoices("CUNGOODS_MAX_BODY_BYTES", "max_body_bytes"),
        description="largest HTTP request body (and WebSocket message) accepted",
    )
    rate_limit_viewer_burst: int = Field(
        default=60,
        validation_alias=AliasChoices(
            "CUNGOODS_RATE_LIMIT_VIEWER_BURST", "rate_limit_viewer_burst"
        ),
        description="mutations one signed-in user may send at once",
    )
    rate_limit_viewer_per_minute: float = Field(
        default=120,
        validation_alias=AliasChoices(
            "CUNGOODS_RATE_LIMIT_VIEWER_PER_MINUTE", "rate_limit_viewer_per_minute"
        ),
        description="mutations a minute one signed-in user may sustain",
    )
    rate_limit_address_burst: int = Field(
        default=600,
        validation_alias=AliasChoices(
            "CUNGOODS_RATE_LIMIT_ADDRESS_BURST", "rate_limit_address_burst"
        ),
        description="mutations one client address may send at once (carrier NAT shares addresses)",
    )
    rate_limit_address_per_minute: float = Field(
        default=1200,
        validation_alias=AliasChoices(
            "CUNGOODS_RATE_LIMIT_ADDRESS_PER_MINUTE", "rate_limit_address_per_minute"
        ),
        description="mutations a minute one client address may sustain",
    )
    login_free_failures: int = Field(
        default=5,
        validation_alias=AliasChoices("CUNGOODS_LOGIN_FREE_FAILURES", "login_free_failures"),
        description="wrong passwords for one phone before sign-ins for it are slowed down",
    )
    login_lock_seconds: float = Field(
        default=30,
        validation_alias=AliasChoices("CUNGOODS_LOGIN_LOCK_SECONDS", "login_lock_seconds"),
        description="the first lock-out after too many wrong passwords; doubles with each more",
    )
    login_lock_max_seconds: float = Field(
        default=900,
        validation_alias=AliasChoices("CUNGOODS_LOGIN_LOCK_MAX_SECONDS", "login_lock_max_seconds"),
        description="the longest lock-out",
    )
    # Observability (issue 7).
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("CUNGOODS_LOG_LEVEL", "log_level")
    )
    log_json: bool = Field(
        default=True,
        validation_alias=AliasChoices("CUNGOODS_LOG_JSON", "log_json"),
        description="JSON log lines (false: plain text, for a terminal)",
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @cached_property
    def signing_key(self) -> str:
        """The token signing key: the configured one, or for the embedded default a key generated
        once and kept beside the SQLite file, so tokens survive a restart."""
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise RuntimeError("CUNGOODS_SECRET_KEY must be set when DATABASE_URL is PostgreSQL")
        key_file = self._sqlite_dir() / ".cungoods-secret"
        if key_file.exists():
            return key_file.read_text().strip()
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    def _sqlite_dir(self) -> Path:
        path = self.database_url.removeprefix("sqlite://")
        if path in ("", ":memory:"):
            return Path.cwd()
        return Path(path.split("?", 1)[0]).resolve().parent
