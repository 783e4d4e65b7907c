"""The one place settings are read from the environment (prefix GATEWAY_, and a .env file)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
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
    # The one channel outgoing SMS take when GATEWAY_CHANNELS and GATEWAY_ROUTES are not set.
    provider: Literal["log", "africastalking", "orange", "android_sms"] = "log"
    at_username: str = "sandbox"
    at_api_key: str | None = None
    at_sender_id: str | None = None
    at_api_url: str = "https://api.africastalking.com/version1"
    ussd_code: str = "*384*1234#"

    # Channels and routing (docs/channels.md). GATEWAY_CHANNELS names the channels this gateway
    # sends through, e.g. "africastalking,orange"; empty: GATEWAY_PROVIDER alone. GATEWAY_ROUTES says
    # which channel each message takes, first matching rule wins, e.g.
    # "kind=alert: orange>africastalking; +226: orange; *: last>africastalking" (`a>b`: a, or b when
    # a refuses or is down; `last`: the channel the contact last wrote in). Empty: everything
    # through the first channel, then the others in order.
    channels: str = ""
    routes: str = ""
    # Transient failures of one message on one channel before it moves to the next of its route.
    route_fallback_after: int = Field(default=3, ge=1, le=50)
    # Failed requests in a row before a channel is taken as down, and how long it is left alone.
    channel_down_after: int = Field(default=5, ge=1, le=1000)
    channel_down_s: float = Field(default=60.0, gt=0, le=86_400)
    # Where each channel's rate limit is kept: "database" shares it between every worker (PostgreSQL);
    # "local" is per process; "auto": database with PostgreSQL, local with SQLite (one process).
    rate_limit_store: Literal["auto", "local", "database"] = "auto"

    # Orange SMS API (developer.orange.com): the application's client id and secret, the sender
    # number the SMS bundle is attached to (E.164, e.g. +22370000000), an optional sender name.
    orange_client_id: str | None = None
    # Secrets stay out of repr(settings) (and the log scrubber masks them: gateway/logging.py).
    orange_client_secret: str | None = Field(default=None, repr=False)
    orange_sender: str | None = None
    orange_sender_name: str | None = None
    orange_api_url: str = "https://api.orange.com"
    # Messages per second through Orange, for every worker together; low by default.
    orange_rate_per_s: float = Field(default=5.0, ge=0)
    orange_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # A send that may have been taken (timeout, dropped answer, 5xx) is retried through Orange only,
    # with the same clientCorrelator, after this long.
    orange_uncertain_hold_s: float = Field(default=300.0, ge=0, le=86_400)

    # SMS Gateway for Android (docs/channels.md, "SMS Gateway for Android"): phones with a local SIM
    # relaying SMS. GATEWAY_ANDROID_PHONES lists them, separated by ";" or new lines, each
    # "name=URL,USER,PASSWORD" and optionally the country prefixes it sends to and its SIM slot:
    # "ml=http://192.168.1.20:8080,sms,Pass-1,+223;bf=http://192.168.1.21:8080,sms,Pass-2,+226,sim=1".
    # A JSON list of {"name","url","username","password","prefixes","sim"} is read as well.
    android_phones: str = Field(default="", repr=False)  # holds the phones' passwords
    # The app's webhook signing key (Settings > Webhooks > Signing Key), at least 16 characters.
    android_signing_key: str | None = Field(default=None, repr=False)
    # A signed webhook whose X-Timestamp is further than this from our clock is refused.
    android_webhook_max_age_s: int = Field(default=300, ge=30, le=3600)
    # At most one SMS every this many seconds through each phone (120 an hour): operators block
    # SIMs that send like machines. 0: as fast as the phone takes them.
    android_send_interval_s: float = Field(default=30.0, ge=0, le=3600)
    android_timeout_s: float = Field(default=15.0, gt=0, le=120)
    # A phone that stopped answering is left out of rotation this long, then probed on /health.
    android_down_s: float = Field(default=120.0, gt=0, le=86_400)
    # A send that timed out may have reached the phone: its message waits this long for that phone
    # to come back and say so, before another phone sends it (and it might go out twice).
    android_uncertain_hold_s: float = Field(default=900.0, ge=0, le=86_400)
    # Messages to anonymous reporters (their receipts) never go through a phone, which keeps every
    # SMS it sends in its sent box and the app's log, unless this is set (docs/security.md).
    android_anonymous_receipts: bool = False

    @field_validator("rate_limit_store")
    @classmethod
    def _rate_limit_store(cls, value: str, info: ValidationInfo) -> str:
        url = str(info.data.get("database_url") or "")
        if value == "database" and url.startswith("sqlite"):
            # The shared limiter is a PostgreSQL statement; SQLite has one process anyway.
            raise ValueError(
                "'database' needs PostgreSQL (GATEWAY_DATABASE_URL is SQLite); use 'auto' or 'local'"
            )
        return value

    @field_validator("android_phones")
    @classmethod
    def _android_phones(cls, value: str) -> str:
        parse_android_phones(value)  # raises ValueError naming the phone and the field
        return value

    @field_validator("android_signing_key")
    @classmethod
    def _android_signing_key(cls, value: str | None) -> str | None:
        if value is not None and len(value.strip()) < MIN_ANDROID_SIGNING_KEY:
            # The app's own default is 8 characters: set a longer one in the app and here.
            raise ValueError(
                f"too short: at least {MIN_ANDROID_SIGNING_KEY} characters (set it in the app too)"
            )
        return value

    @property
    def android_phone_list(self) -> tuple[AndroidPhone, ...]:
        return parse_android_phones(self.android_phones)

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
    # None: with the embedded SQLite database, `serve` sends the outbox too (from a companion
    # `gateway worker` process it starts, ops/companion.py); false: run `gateway worker` yourself.
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

    # The web console (gateway/web). Its address as people reach it, for the links in invitations.
    console_url: str = "http://127.0.0.1:8000"
    # A session ends after this long without a page, and this long after sign-in whatever happens.
    console_session_idle_s: int = Field(default=3600, ge=60, le=7 * 86_400)
    console_session_absolute_s: int = Field(default=12 * 3600, ge=300, le=30 * 86_400)
    # Wrong passwords in a row before an account is locked, and for how long.
    console_lockout_after: int = Field(default=5, ge=1, le=100)
    console_lockout_s: int = Field(default=900, ge=1, le=86_400)
    # How long an invitation link can be used.
    console_invitation_ttl_s: int = Field(default=3 * 86_400, ge=300, le=30 * 86_400)

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

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str) -> str:
        scheme, _, rest = value.strip().partition("://")
        if scheme not in ("http", "https") or not rest or any(c.isspace() for c in rest):
            raise ValueError("must be an http:// or https:// address, e.g. https://console.example.org")
        return value.strip().rstrip("/")

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
    def channel_names(self) -> tuple[str, ...]:
        """GATEWAY_CHANNELS as a list, or GATEWAY_PROVIDER alone when it is not set."""
        named = tuple(dict.fromkeys(n.strip() for n in self.channels.split(",") if n.strip()))
        return named or (self.provider,)

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
            if self.is_sqlite and self.channel_names == ("log",):
                return None
            raise SettingsError(
                "bad settings: GATEWAY_CALLBACK_TOKEN is required with PostgreSQL or any channel but `log` "
                f"(a random string of at least {MIN_CALLBACK_TOKEN} characters)"
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


# -- SMS Gateway for Android: GATEWAY_ANDROID_PHONES ----------------------------------------------

MIN_ANDROID_SIGNING_KEY = 16
_ANDROID_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# A country code (+223) or a longer start of numbers (+2237, one operator's range).
_ANDROID_PREFIX = re.compile(r"\+[1-9][0-9]{0,11}")


@dataclass(frozen=True)
class AndroidPhone:
    """One phone running SMS Gateway for Android: its API's base URL (the phone's own server, or
    the cloud's `.../3rdparty/v1`), its Basic credentials, the numbers it sends to, its SIM slot."""

    name: str
    url: str
    username: str
    password: str = field(repr=False)
    prefixes: tuple[str, ...] = ()
    sim: int | None = None

    def serves(self, e164: str) -> bool:
        return not self.prefixes or e164.startswith(self.prefixes)


def parse_android_phones(value: str) -> tuple[AndroidPhone, ...]:
    """The phones of GATEWAY_ANDROID_PHONES; a ValueError names the phone (by position and name,
    never its password) and what is wrong with it."""
    text = value.strip()
    if not text:
        return ()
    entries = _android_json(text) if text.startswith("[") else _android_lines(text)
    phones = tuple(_android_phone(position, entry) for position, entry in enumerate(entries, start=1))
    names = [phone.name for phone in phones]
    if twice := next((name for name in names if names.count(name) > 1), None):
        raise ValueError(f"phone name {twice!r} is used twice")
    return phones


def _android_json(text: str) -> list[dict[str, object]]:
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("starts with '[' but is not valid JSON") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("JSON must be a list of objects")
    return data


def _android_lines(text: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for position, raw in enumerate((part.strip() for part in re.split(r"[;\n]", text) if part.strip()), 1):
        name, equals, rest = raw.partition("=")
        fields = [f.strip() for f in rest.split(",")]
        if not equals or len(fields) < 3:
            raise ValueError(f"phone {position}: write it as name=URL,USER,PASSWORD[,+PREFIX…][,sim=N]")
        options: list[str] = []
        # Options are read from the end, so a password may itself hold commas.
        while len(fields) > 3 and (_ANDROID_PREFIX.fullmatch(fields[-1]) or fields[-1].startswith("sim=")):
            options.insert(0, fields.pop())
        sims = [o.removeprefix("sim=") for o in options if o.startswith("sim=")]
        entries.append(
            {
                "name": name.strip(),
                "url": fields[0],
                "username": fields[1],
                "password": ",".join(fields[2:]),
                "prefixes": [o for o in options if not o.startswith("sim=")],
                "sim": sims[-1] if sims else None,
            }
        )
    return entries


def _android_phone(position: int, entry: dict[str, object]) -> AndroidPhone:
    name = str(entry.get("name") or "").strip().lower()
    where = f"phone {position}" + (f" ({name!r})" if name else "")
    if not _ANDROID_NAME.fullmatch(name):
        raise ValueError(f"{where}: name must be 1-32 letters, digits, '-' or '_'")
    url = str(entry.get("url") or "").strip().rstrip("/")
    scheme, _, host = url.partition("://")
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise ValueError(f"{where}: url must be http://HOST:PORT or https://… (the app's address)")
    username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    if not username.strip() or not password:
        raise ValueError(
            f"{where}: username and password are required (the app's Local/Cloud server credentials)"
        )
    prefixes = entry.get("prefixes") or []
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    if not isinstance(prefixes, list) or not all(
        isinstance(p, str) and _ANDROID_PREFIX.fullmatch(p.strip()) for p in prefixes
    ):
        raise ValueError(f"{where}: prefixes must look like +223 or +2267")
    sim = entry.get("sim")
    if sim is not None:
        try:
            sim = int(str(sim))
        except ValueError:
            sim = 0
        if not 1 <= sim <= 3:
            raise ValueError(f"{where}: sim must be 1, 2 or 3")
    return AndroidPhone(
        name, url, username.strip(), password, tuple(p.strip() for p in prefixes), sim if sim else None
    )
