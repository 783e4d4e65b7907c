"""Text over the limit: the hint says what the limit is, in every language."""

from __future__ import annotations

import pytest

from gateway.i18n.gsm7 import to_gsm7
from gateway.i18n.languages import CODES
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

# report, security, urgent, the commune typed: the description screen (max_length 500).
TO_DESCRIPTION = ("1", "1", "1", "Banfora")


@pytest.mark.parametrize("language", CODES)
async def test_the_hint_gives_the_limit(caller: UssdCaller, gateway: Gateway, language: str) -> None:
    await caller.dial()
    await caller.send(str(CODES.index(language) + 1))
    for answer in TO_DESCRIPTION:
        await caller.send(answer)
    screen = await caller.send("x" * 501)
    hint = gateway.engine.catalogs.translator(language).gettext("ussd.error.too_long")
    assert "{limit}" in hint
    assert to_gsm7(hint.replace("{limit}", "500"), language) in screen
    assert "(500" in screen
