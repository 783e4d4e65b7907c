"""`00` before a language is chosen: a first-time caller stays on the language choice instead of
landing in a French main menu they may not read."""

from __future__ import annotations

import pytest

from gateway.i18n.gsm7 import to_gsm7
from gateway.wiring import Gateway
from tests.helpers import UssdCaller


def french(gateway: Gateway, msgid: str) -> str:
    return gateway.engine.catalogs.translator("fr").gettext(msgid)


async def test_00_on_the_first_language_screen_stays_there(caller: UssdCaller, gateway: Gateway) -> None:
    first = await caller.dial()
    assert first.startswith("CON " + french(gateway, "ussd.language.prompt"))
    assert "00 " not in first  # nothing to go back to: not offered
    again = await caller.send("00")
    assert again == first
    assert french(gateway, "ussd.home.prompt") not in again
    home = await caller.send("2")  # Bamanankan
    bambara = gateway.engine.catalogs.translator("bm").gettext("ussd.home.prompt")
    assert home.startswith("CON " + to_gsm7(bambara, "bm"))


@pytest.mark.parametrize("keys", [["0"], ["00", "00"], ["7", "00"], ["99", "00"]])
async def test_any_key_before_a_language_leads_back_to_the_choice(
    caller: UssdCaller, gateway: Gateway, keys: list[str]
) -> None:
    await caller.dial()
    for key in keys:
        screen = await caller.send(key)
    assert french(gateway, "ussd.language.prompt") in screen
    assert french(gateway, "ussd.home.prompt") not in screen
    assert (await caller.send("1")).startswith("CON " + french(gateway, "ussd.home.prompt"))


async def test_once_a_language_is_chosen_00_goes_home_from_the_language_screen(
    caller: UssdCaller, gateway: Gateway
) -> None:
    await caller.dial()
    await caller.send("1")  # Français
    change = await caller.send("3")  # change language
    assert french(gateway, "ussd.language.prompt") in change
    assert "00 " in change
    assert (await caller.send("00")).startswith("CON " + french(gateway, "ussd.home.prompt"))
