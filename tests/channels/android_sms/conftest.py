"""Fake phones of each test's own, the gateway with the Android channel's webhook key, providers."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from gateway.app import create_app
from gateway.channels.android_sms.provider import AndroidSmsProvider
from gateway.config import AndroidPhone
from gateway.wiring import Gateway
from tests.fakes.android_sms_server import FakePhone

SIGNING_KEY = "android-signing-key-for-tests-0123"
MakeProvider = Callable[..., AndroidSmsProvider]


@pytest.fixture
def phone_ml() -> Iterator[FakePhone]:
    phone = FakePhone(signing_key=SIGNING_KEY, own_number="+22370000099").start()
    yield phone
    phone.stop()


@pytest.fixture
def phone_bf() -> Iterator[FakePhone]:
    phone = FakePhone(signing_key=SIGNING_KEY, own_number="+22670000099").start()
    yield phone
    phone.stop()


@pytest.fixture
def android_gateway(gateway: Gateway) -> Gateway:
    """The session's gateway seen with the Android channel's settings (same database, services)."""
    settings = gateway.settings.model_copy(update={"android_signing_key": SIGNING_KEY})
    return dataclasses.replace(gateway, settings=settings)


@pytest.fixture
async def android_client(android_gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(android_gateway.settings, android_gateway)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


def config(phone: FakePhone, name: str, *prefixes: str, password: str | None = None) -> AndroidPhone:
    return AndroidPhone(name, phone.url, phone.username, password or phone.password, tuple(prefixes))


@pytest.fixture
async def make_provider() -> AsyncIterator[MakeProvider]:
    """A provider over the given phones; no pacing unless asked, a patient timeout (a healthy
    answer on a loaded machine still comes in time; the faults here never answer at all)."""
    made: list[AndroidSmsProvider] = []

    def make(*phones: AndroidPhone, **options: object) -> AndroidSmsProvider:
        options = {"interval_s": 0.0, "timeout_s": 20.0, **options}
        provider = AndroidSmsProvider(tuple(phones), **options)  # type: ignore[arg-type]
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
