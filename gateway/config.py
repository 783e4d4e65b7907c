"""The one place settings are read from the environment (prefix GATEWAY_, and a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.i18n.languages import LanguageCode
from gateway.security.strength import RULE, key_weakness

ROOT = Path(__file__).resolve().parent.parent
# A guessable callback token is no better than none: `serve` refuses shorter ones.
MIN_CALLBACK_TOKEN = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./gateway.db"
    db_pool_size: int = Field(default=5, ge=1, le=200)
    # How long a request waits for a pooled connection before it gets a 503: under AT's 15 s
    # USSD deadline, so the caller hears the apology rather than nothing.
    db_pool_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Not needed to check flows or catalogs; required by everything that touches phone numbers.
    # Checked for strength (security/strength.py) wherever it is set.
    secret_key: str | None = None
    # Key rotation: the keys GATEWAY_SECRET_KEY replaces, comma-separated. They still decrypt and
    # find what was stored under them until `gateway keys rotate` has moved everything over.
    previous_secret_keys: str = ""
    callback_token: str | None = None
    provider: Literal["log", "africastalking"] = "log"
    at_username: str = "sandbox"
    at_api_key: str | None = None
    at_sender_id: str | None = None
    at_api_url: str = "https://api.africastalking.com/version1"
    ussd_code: str = "*384*1234#"

    ussd_screen_limit: int = Field(default=160, ge=60, le=182)
    ussd_resume_window_s: int = Field(default=600, ge=0)
    default_region: Literal["ML", "BF"] = "ML"
    default_language: LanguageCode = "fr"

    flows_dir: Path = ROOT / "flows"
    locales_dir: Path = ROOT / "locales"
    areas_csv: Path = ROOT / "data" / "areas" / "border_areas.csv"

    # SMS text policy and delivery.
    sms_gsm7: bool = True
    sms_rate_per_s: float = Field(default=20.0, ge=0)  # 0: no limit
    sms_batch_size: int = Field(default=100, ge=1, le=1000)
    # Provider requests in flight at once per worker: a slow provider must not set the pace.
    sms_concurrency: int = Field(default=4, ge=1, le=64)
    # With the backoff below (10 s doubling, at most 30 min apart), 12 attempts ride out about
    # two hours of provider outage before a message is marked failed.
    sms_max_attempts: int = Field(default=12, ge=1, le=50)
    sms_retry_base_s: float = Field(default=10.0, gt=0)
    sms_followup_window_s: int = Field(default=1800, ge=0)
    # A follow-up text is acknowledged at most this often ("added to your report").
    sms_followup_ack_interval_s: int = Field(default=300, ge=0)
    # An urgent SMS report without a place, whose sender did not say where within this time, is
    # alerted to the committees of the sender's usual commune (or country), flagged as placeless.
    sms_place_wait_s: int = Field(default=300, ge=30, le=86_400)
    # What one SMS part costs, for the cost shown before a broadcast is scheduled (0: unknown).
    sms_price_per_part: float = Field(default=0.0, ge=0)
    sms_currency: str = Field(default="XOF", min_length=3, max_length=3)
    dispatch_poll_s: float = Field(default=1.0, gt=0)
    dispatch_lease_s: int = Field(default=300, ge=10)
    digest_poll_s: float = Field(default=30.0, gt=0)
    broadcast_batch_size: int = Field(default=1000, ge=1, le=20000)
    # Places with fewer reports than this are grouped in summaries, so none points to one person.
    digest_min_place_reports: int = Field(default=3, ge=1)
    # On SIGTERM: how long in-flight HTTP requests and provider requests may take to finish
    # before the process stops anyway (claims it still holds then come back after the lease).
    shutdown_grace_s: float = Field(default=20.0, ge=1, le=600)
    # None: run the dispatcher inside `serve` when the database is the embedded SQLite one.
    dispatch_in_process: bool | None = None

    # Flood control, per number: new USSD sessions and SMS per minute before we ask them to wait.
    flood_ussd_sessions_per_min: int = Field(default=8, ge=1)
    flood_sms_per_min: int = Field(default=10, ge=1)

    # Where `serve --workers N` keeps the workers' metric files (the `*.db` of a run before are removed).
    # None: a directory of its own under the system's temporary directory.
    metrics_dir: Path | None = None

    # Request bodies larger than these are refused with 413 before authentication or parsing.
    max_callback_body_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    max_api_body_bytes: int = Field(default=1_048_576, ge=4096, le=64 * 1_048_576)
    # Report exports read the database a page at a time, never holding a connection while a
    # client reads; at most this many run at once in a process (more get a 429).
    export_concurrency: int = Field(default=2, ge=1, le=32)
    # When set, GET /metrics needs `Authorization: Bearer <this>`.
    metrics_token: str | None = None
    # A reporter hears about their report on real changes of state, at most this often a day.
    reporter_notices_per_day: int = Field(default=3, ge=1, le=50)

    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Accept the usual sync spellings and pick the async driver the app needs.
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret_key(cls, value: str | None) -> str | None:
        # A weak key is refused even for commands that do not use it: better at the first start
        # than after numbers were stored under it.
        if value is not None and (weakness := key_weakness(value)):
            raise ValueError(f"too weak ({weakness}): {RULE}")
        return value

    @field_validator("previous_secret_keys")
    @classmethod
    def _usable_previous_keys(cls, value: str, info: ValidationInfo) -> str:
        keys = _split_keys(value)
        if not keys:
            return value
        if "secret_key" not in info.data:
            return value  # GATEWAY_SECRET_KEY was refused already: one problem is enough
        current = info.data["secret_key"]
        if not current:
            raise ValueError("needs GATEWAY_SECRET_KEY (the new key) to be set too")
        if problem := previous_keys_problem(current, keys):
            raise ValueError(problem)
        return value

    @property
    def previous_keys(self) -> tuple[str, ...]:
        """GATEWAY_PREVIOUS_SECRET_KEYS as a list, newest first as the operator wrote them."""
        return tuple(_split_keys(self.previous_secret_keys))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def require_secret_key(self) -> str:
        if not self.secret_key:
            raise SettingsError(
                "bad settings: GATEWAY_SECRET_KEY is required (at least 32 characters; `make run` makes one)"
            )
        return self.secret_key

    def require_callback_token(self) -> str | None:
        """The callback token, checked before `serve` starts. AT signs nothing, so once callbacks can
        come from outside (the real provider, or PostgreSQL: a deployment) a missing token would let
        anyone forge reports and delivery reports. None only in development (SQLite and the `log`
        provider), where callbacks stay open."""
        token = (self.callback_token or "").strip()
        if not token:
            if self.is_sqlite and self.provider == "log":
                return None
            raise SettingsError(
                "bad settings: GATEWAY_CALLBACK_TOKEN is required with PostgreSQL or GATEWAY_PROVIDER="
                f"africastalking (a random string of at least {MIN_CALLBACK_TOKEN} characters)"
            )
        if len(token) < MIN_CALLBACK_TOKEN:
            raise SettingsError(
                f"bad settings: GATEWAY_CALLBACK_TOKEN is too short: at least {MIN_CALLBACK_TOKEN} characters"
            )
        return self.callback_token


def _split_keys(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def previous_keys_problem(current: str, keys: list[str]) -> str | None:
    """What is wrong with GATEWAY_PREVIOUS_SECRET_KEYS, or None. Keys are never echoed: a key is
    named by its place in the list. Their strength is not judged: a weak old key is exactly what
    a rotation retires (see weak_previous_keys)."""
    for position, key in enumerate(keys, start=1):
        if key == current:
            return f"key {position} is GATEWAY_SECRET_KEY itself; list only the keys it replaced"
        if key in keys[: position - 1]:
            return f"key {position} is listed twice"
    return None


def weak_previous_keys(settings: Settings) -> list[str]:
    """One warning per weak previous key, by its place in the list (never the key)."""
    return [
        f"GATEWAY_PREVIOUS_SECRET_KEYS key {position} is weak ({weakness}); it only decrypts, until "
        "`gateway keys rotate` has moved what it protects to GATEWAY_SECRET_KEY"
        for position, key in enumerate(settings.previous_keys, start=1)
        if (weakness := key_weakness(key))
    ]


class SettingsError(RuntimeError):
    """Bad configuration, explained in one line."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"GATEWAY_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"bad settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
