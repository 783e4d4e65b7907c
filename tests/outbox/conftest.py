from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.outbox.provider import SmsProvider

# The fake Orange API and its provider, the fake phones and theirs, for the routing tests of the
# dispatcher.
from tests.channels.android_sms.conftest import make_provider, phone_ml
from tests.channels.orange.conftest import MakeOrange, make_orange, orange
from tests.fakes.at_server import FakeAfricasTalking
from tests.fakes.orange_server import FakeOrange
from tests.helpers import MakeDispatcher

__all__ = ["Fakes", "fakes", "make_orange", "make_provider", "orange", "phone_ml"]


@dataclass
class Fakes:
    """What a test of several channels sends through: the fake Africa's Talking and its provider,
    the fake Orange API (a new client of it each `make_orange()`), and the dispatcher."""

    at: FakeAfricasTalking
    at_provider: SmsProvider
    orange: FakeOrange
    make_orange: MakeOrange
    make_dispatcher: MakeDispatcher


@pytest.fixture
def fakes(
    at: FakeAfricasTalking,
    at_provider: SmsProvider,
    orange: FakeOrange,
    make_orange: MakeOrange,
    make_dispatcher: MakeDispatcher,
) -> Fakes:
    return Fakes(at, at_provider, orange, make_orange, make_dispatcher)
