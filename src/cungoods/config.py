"""Settings from the environment.

Everything that differs between a laptop and a county deployment comes from here, so the rest of
the code takes a `Settings` value and never reads `os.environ` itself.

Every field is read from `CUNGOODS_<FIELD NAME IN CAPITALS>` (`database_url` from
`CUNGOODS_DATABASE_URL`, `max_query_cost` from `CUNGOODS_MAX_QUERY_COST`); there are no other
names. Code and tests pass the field names (`Settings(database_url=...)`); anything else is an
error, so a stale name fails loudly instead of being ignored. The README's settings table lists
them all (tests/test_settings.py keeps the two in step).
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CUNGOODS_"
DEFAULT_SQLITE_FILE = "cungoods.sqlite3"
# Where front-end dev servers run (Vite, webpack/CRA/Next, vue-cli): allowed outside production
# when CUNGOODS_ALLOWED_ORIGINS is empty.
DEV_ORIGINS = tuple(
    f"http://{host}:{port}" for port in (5173, 3000, 8080) for host in ("localhost", "127.0.0.1")
)


class Settings(BaseSettings):
    """Server settings; each field reads `CUNGOODS_<FIELD_NAME>` from the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    database_url: str = Field(
        default=f"sqlite://{DEFAULT_SQLITE_FILE}",
        description="sqlite://FILE (embedded default) or postgres://USER@HOST:PORT/DB",
    )
    secret_key: str | None = Field(
        default=None, description="token signing key; required with PostgreSQL"
    )
    time_zone: str = Field(
        default="Asia/Shanghai", description="the service time zone (dates, cutoffs, timetables)"
    )
    env: str = Field(
        default="development",
        description="`production`: no GraphiQL, no introspection or suggestions, no demo seed",
    )
    token_ttl_seconds: int = Field(
        default=7 * 24 * 3600, description="how long a sign-in token is valid"
    )
    demo: bool = Field(
        default=True, description="seed the demo county into an empty database on `serve`"
    )
    # Request limits (api/schema.py, api/extensions/cost.py, web/limits.py).
    max_page_size: int = Field(default=100, description="the largest `first` of a connection")
    max_query_depth: int = Field(default=12, description="how deep a query may nest")
    max_aliases: int = Field(default=30, description="aliases in one query")
    max_tokens: int = Field(default=2000, description="tokens in one query text")
    max_query_cost: int = Field(
        default=5000, description="the cost budget of one GraphQL request (api/extensions/cost.py)"
    )
    max_body_bytes: int = Field(
        default=256 * 1024,
        description="largest HTTP request body (and WebSocket message) accepted",
    )
    # Abuse limits (issue 7). Rate limits are per process, in memory (services/ratelimit.py).
    rate_limit_viewer_burst: int = Field(
        default=60, description="mutations one signed-in user may send at once"
    )
    rate_limit_viewer_per_minute: float = Field(
        default=120, description="mutations a minute one signed-in user may sustain"
    )
    rate_limit_address_burst: int = Field(
        default=600,
        description="mutations one client address may send at once (carrier NAT shares addresses)",
    )
    rate_limit_address_per_minute: float = Field(
        default=1200, description="mutations a minute one client address may sustain"
    )
    login_free_failures: int = Field(
        default=5,
        description="wrong passwords for one phone before sign-ins for it are slowed down",
    )
    login_lock_seconds: float = Field(
        default=30,
        description="the first lock-out after too many wrong passwords; doubles with each more",
    )
    login_lock_max_seconds: float = Field(default=900, description="the longest lock-out")
    # Money (issue 12).
    payment_secret: str | None = Field(
        default=None,
        description="shared secret of the payment provider's signed notifications (HMAC-SHA256); "
        "outside production the sandbox provider's built-in one when unset",
    )
    payment_timeout_minutes: int = Field(
        default=15, description="how long an order or purchase may wait UNPAID before release"
    )
    platform_fee_bp: int = Field(
        default=500, description="the platform's fee on produce sales, in basis points"
    )
    collection_fee_bp: int = Field(
        default=200, description="the leader's fee on produce they take in, in basis points"
    )
    # Exceptions (issue 13).
    trip_events_early_hours: int = Field(
        default=6,
        ge=0,
        le=72,
        description="how many hours before its service date's midnight a trip takes its events "
        "(6: from 18:00 the evening before, when the hub loads)",
    )
    pickup_grace_days: int = Field(
        default=2,
        ge=1,
        le=30,
        description="days an order may wait at its station before it goes back to the hub "
        "(RETURNED, refunded there), and produce at the hub before it is flagged",
    )
    claim_hours: int = Field(
        default=24,
        ge=1,
        description="how many hours after pickup a buyer may file an after-sale claim",
    )
    # Exposure (issue 16).
    redis_url: str | None = Field(
        default=None,
        description="redis://HOST:PORT/DB: rate limits and login back-off shared by all "
        "processes; in memory per process when unset",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="comma-separated addresses of the reverse proxies whose X-Forwarded-For is "
        "trusted (uvicorn's forwarded-allow-ips); none when empty",
    )
    allowed_origins: str = Field(
        default="",
        description="comma-separated origins whose pages may call the API (CORS) and open its "
        "WebSocket; `*` any (not in production); empty: same origin only in production, the "
        "localhost dev-server ports in development",
    )
    login_hash_concurrency: int = Field(
        default=2, description="password checks run at once, off the event loop"
    )
    # The response cache (issue 14; api/extensions/response_cache.py), per process.
    response_cache: bool = Field(
        default=True,
        description="answer repeated read-only queries from a per-process cache checked "
        "against the outbox on every hit (0: off)",
    )
    response_cache_entries: int = Field(
        default=2000, description="cached query answers kept per process (least recently used go)"
    )
    response_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        description="bytes of JSON the cached answers of one process may hold in all",
    )
    # Persisted queries (issue 15; api/persisted.py).
    persisted_queries_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=0,
        description="bytes of query text the automatic persisted queries of one process may "
        "hold (least recently used go first); 0: persisted queries off",
    )
    trusted_documents: str | None = Field(
        default=None,
        description="a manifest of trusted documents (Apollo's persisted query manifest, or a "
        "JSON object of SHA-256 hash to text): only those run, nothing else",
    )
    # Telling people (issue 13).
    sms_url: str | None = Field(
        default=None,
        description="the SMS provider's endpoint: each notification of a person with a phone is "
        "POSTed to it as JSON; no text messages when unset",
    )
    sms_max_attempts: int = Field(
        default=5, ge=1, le=50, description="attempts per text message before it is FAILED"
    )
    sms_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        description="the back-off after a first failed attempt; it doubles with each more",
    )
    sms_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long one POST to the SMS provider may take"
    )
    # Observability (issue 7).
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_json: bool = Field(
        default=True, description="JSON log lines (false: plain text, for a terminal)"
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

    @property
    def cors_origins(self) -> list[str]:
        """The origins `allowed_origins` lets in (app.py: CORS on HTTP and the WebSocket's
        origin check): the listed ones, or when empty, none in production and the usual local
        dev-server origins in development. `*` is refused in production."""
        listed = [
            origin.strip().rstrip("/")
            for origin in self.allowed_origins.split(",")
            if origin.strip()
        ]
        if "*" in listed and self.production:
            raise ValueError("CUNGOODS_ALLOWED_ORIGINS=* is not allowed in production")
        if listed:
            return listed
        return [] if self.production else list(DEV_ORIGINS)

    @cached_property
    def signing_key(self) -> str:
        """The token signing key: the configured one, or for the embedded default a key generated
        once and kept beside the SQLite file, so tokens survive a restart."""
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise RuntimeError(
                "CUNGOODS_SECRET_KEY must be set when CUNGOODS_DATABASE_URL is PostgreSQL"
            )
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
