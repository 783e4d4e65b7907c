"""The channel registry: every configured channel built, routes checked against them, one clear
line for what is wrong; and any package exposing `build(settings)` plugs in by name."""

from __future__ import annotations

import pytest

from gateway.channels.africastalking.channel import AfricasTalkingChannel
from gateway.channels.orange.client import OrangeSms
from gateway.channels.providers import CHANNELS, Builder, build_channels
from gateway.config import Settings, SettingsError, load_settings
from gateway.outbox.provider import ChannelCheck, LogProvider, RecipientResult, SmsProvider

ORANGE = {"orange_client_id": "id", "orange_client_secret": "secret", "orange_sender": "+22370000000"}


def settings(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


class FakePhone:
    """A provider as a channel package would give one (the Android phones' stands in here)."""

    name = "android_sms"
    max_recipients = 1
    rate_per_s = 0.2

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        return [RecipientResult(p, "accepted", "Sent", "id") for p in recipients]

    async def check(self) -> ChannelCheck:
        return ChannelCheck(True, "1 phone answers")


def fake_phone(settings: Settings) -> SmsProvider:
    return FakePhone()


def test_the_one_provider_setting_still_means_one_route() -> None:
    channels = build_channels(settings(provider="log"))
    assert channels.names == ("log",)
    assert isinstance(channels.primary, LogProvider)
    at = build_channels(settings(provider="africastalking", at_api_key="key"))
    assert isinstance(at.primary, AfricasTalkingChannel)
    assert at.routes.route("+22670000001", "notice") == ("africastalking",)


def test_several_channels_with_routes() -> None:
    channels = build_channels(
        settings(
            channels="africastalking, orange",
            routes="+226: orange>africastalking; *: africastalking",
            at_api_key="key",
            **ORANGE,
        )
    )
    assert channels.names == ("africastalking", "orange")
    assert isinstance(channels.providers["orange"], OrangeSms)
    assert channels.routes.route("+22670000001", "notice") == ("orange", "africastalking")


def test_a_package_with_build_plugs_in_by_name() -> None:
    builders: dict[str, Builder] = {**CHANNELS, "android_sms": fake_phone}
    channels = build_channels(
        settings(channels="android_sms,log", routes="*: last>android_sms>log"), builders
    )
    assert channels.primary.name == "android_sms"
    assert channels.routes.uses_last


def test_the_android_package_is_registered() -> None:
    channels = build_channels(
        settings(
            channels="android_sms,orange",
            routes="*: last>android_sms>orange",
            android_phones="ml=http://127.0.0.1:9,user,password,+223",
            **ORANGE,
        )
    )
    phones = channels.providers["android_sms"]
    assert phones.name == "android_sms"
    assert callable(getattr(phones, "check", None))
    assert channels.routes.route("+22376000001", "reply", None) == ("android_sms", "orange")


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"channels": "log,hubtel"}, "GATEWAY_CHANNELS: unknown channel 'hubtel'"),
        (
            {"channels": "log", "routes": "+226: orange"},
            "GATEWAY_ROUTES: route '+226: orange': unknown channel 'orange'",
        ),
        (
            {"channels": "orange"},
            "the orange channel needs GATEWAY_ORANGE_CLIENT_ID, GATEWAY_ORANGE_CLIENT_SECRET",
        ),
        (
            {"channels": "orange", **ORANGE, "orange_sender": "FORUM"},
            "GATEWAY_ORANGE_SENDER must be the sender's number",
        ),
        ({"provider": "africastalking"}, "GATEWAY_AT_API_KEY is required"),
    ],
)
def test_bad_settings_fail_in_one_line(values: dict[str, object], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        build_channels(settings(**values))
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_builder_must_give_the_channel_it_is_named_for() -> None:
    with pytest.raises(SettingsError, match="built a provider named 'android_sms'"):
        build_channels(settings(channels="log"), {"log": fake_phone})


def test_a_shared_rate_limit_in_a_sqlite_database_is_refused_at_load() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, database_url="sqlite+aiosqlite:///./x.db", rate_limit_store="database")
    assert str(refused.value) == (
        "bad settings: GATEWAY_RATE_LIMIT_STORE: Value error, 'database' needs PostgreSQL "
        "(GATEWAY_DATABASE_URL is SQLite); use 'auto' or 'local'"
    )
    pg = "postgresql+asyncpg://gw@127.0.0.1/gw"
    assert (
        load_settings(_env_file=None, database_url=pg, rate_limit_store="database").rate_limit_store
        == "database"
    )
    assert load_settings(_env_file=None, database_url="sqlite+aiosqlite:///./x.db").rate_limit_store == "auto"
