"""Whole USSD journeys, posted exactly as Africa's Talking posts them, in each language.

Transcripts (tests/e2e/transcripts/<lang>.yaml) list what the caller types and what each screen
must show: message ids (rendered through that language's catalog and GSM-7 spelling, so a
translation change does not break the test) or literal text such as a commune's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway.areas.models import Area
from gateway.i18n.gsm7 import is_gsm7, septets, to_gsm7
from gateway.i18n.text import fill
from gateway.reports.models import Report
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import UssdCaller

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


def _expected(gateway: Gateway, language: str, item: str | dict[str, Any]) -> str:
    tr = gateway.engine.catalogs.translator(language)
    if isinstance(item, dict):
        if "text" in item:
            return to_gsm7(item["text"], language)
        return to_gsm7(
            fill(tr.gettext(item["msg"]), {k: str(v) for k, v in item.get("with", {}).items()}), language
        )
    return to_gsm7(tr.gettext(item), language)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path: Path, client: Any, gateway: Gateway) -> None:
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = script["language"]
    caller = UssdCaller(client, phone=script["phone"])
    for number, step in enumerate(script["steps"], 1):
        screen = await (caller.dial() if step["send"] is None else caller.send(str(step["send"])))
        kind, body = screen[:3], screen[4:]
        assert kind == step.get("kind", "CON"), f"step {number}: {screen}"
        assert is_gsm7(body), f"step {number}: {body}"
        assert septets(body) <= gateway.settings.ussd_screen_limit, f"step {number}: {body}"
        for item in step.get("shows", []):
            assert _expected(gateway, language, item) in body, f"step {number}: {item!r} not in {body!r}"

    async with gateway.sessionmaker() as db:
        reports = (await db.execute(select(Report))).scalars().all()
    expected = script.get("report")
    if expected is None:
        assert reports == []
        return
    assert len(reports) == 1
    report = reports[0]
    assert report.language == language
    expected = dict(expected)
    async with gateway.sessionmaker() as db:
        area = await db.get(Area, report.area_id)
    assert area is not None
    assert area.name == expected.pop("area")
    for key, value in expected.items():
        assert getattr(report, key) == value, key
    assert report.reference in screen  # the last screen gave the caller their reference
    assert (report.contact_id is None) == report.anonymous


async def test_anonymous_report_leaves_no_trail_to_the_phone(caller: UssdCaller, gateway: Gateway) -> None:
    await caller.dial()
    for answer in ("1", "1", "1", "1", "Benkadi", "Vol de bétail * près du marché"):
        await caller.send(answer)
    end = await caller.send("1")  # anonymous
    assert end.startswith("END ")
    async with gateway.sessionmaker() as db:
        report = (await db.execute(select(Report))).scalar_one()
        row = (await db.execute(select(UssdSession))).scalar_one()
    assert report.anonymous
    assert report.contact_id is None
    assert report.description == "Vol de bétail * près du marché"
    assert row.phone_hash == ""
    assert row.contact_id is None
    assert report.reference not in row.last_response
    assert row.state == {}
