"""The audit log in the console: organisers only, newest first, 50 a page, filters by who, what and
when, no phone number ever shown (not even one written into a row by a caller that did not mask
it), reading it recorded, and hostile query strings that never give a 500."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEvent
from gateway.security.phone import mask_in_text
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, console_for, make_user

_ROW = re.compile(
    r'<li><span class="when">(\d\d/\d\d/\d{4} [\d:]+)</span> · <span class="actor">([^<]*)</span>'
    r"[^<]*<code>([^<]+)</code>"
)
_DIGITS = re.compile(r"(?<![0-9])(?:\+?22[36])?[0-9]{8}(?![0-9])")


async def _signed_in(gateway: Gateway, stack: AsyncExitStack, login: str, role: str, **extra: int) -> Console:
    await make_user(gateway, login, name=login.split("@")[0], role=role, **extra)  # type: ignore[arg-type]
    console = await stack.enter_async_context(console_for(gateway))
    assert (await console.sign_in(login)).status_code == 303
    return console


@pytest.fixture
async def organiser(gateway: Gateway) -> AsyncIterator[Console]:
    async with AsyncExitStack() as stack:
        yield await _signed_in(gateway, stack, "awa@example.org", "organiser")


async def _add(gateway: Gateway, rows: list[dict[str, object]]) -> None:
    # Written straight into the table, around audit.service.record's masking: the page must mask
    # on its own what an older or careless writer left in a row.
    async with gateway.sessionmaker() as db, db.begin():
        db.add_all([AuditEvent(**row) for row in rows])


def _rows(html: str) -> list[tuple[str, str, str]]:
    return _ROW.findall(html)


async def test_newest_first_masked_and_its_reading_recorded(gateway: Gateway, organiser: Console) -> None:
    base = datetime(2026, 11, 30, 8, tzinfo=UTC)
    await _add(
        gateway,
        [
            {
                "at": base,
                "actor": "token ops",
                "role": "organiser",
                "action": "reports.export",
                "detail": "csv; area=3 +22376123456",
                "rows": 12,
            },
            {
                "at": base + timedelta(hours=1),
                "actor": "Appelle 0022670123456",
                "role": "viewer",
                "action": "reports.read",
                "detail": "appel au 76 12 34 57",
                "rows": 1,
            },
        ],
    )
    page = await organiser.client.get("/audit")
    assert page.status_code == 200
    rows = _rows(page.text)
    # The sign-in (now) first, then the two rows, newest first.
    assert [action for *_, action in rows] == ["console.signin", "reports.read", "reports.export"]
    assert rows[1][:2] == ("30/11/2026 09:00:00", "Appelle +226******56")
    # Masked as the audit service masks what it writes.
    assert mask_in_text("appel au 76 12 34 57") == "appel au ******57"
    assert "appel au ******57" in page.text
    assert mask_in_text("csv; area=3 +22376123456") in page.text
    html = re.sub(r'name="csrf_token" value="[0-9a-f]+"', "", page.text)
    assert _DIGITS.findall(html) == []
    for number in ("22376123456", "22670123456", "76 12 34 57"):
        assert number not in html
    async with gateway.sessionmaker() as db:
        [read] = (await db.execute(select(AuditEvent).where(AuditEvent.action == "audit.read"))).scalars()
    assert (read.role, read.detail, read.rows) == ("organiser", "no filter", 3)
    assert re.fullmatch(r"awa \(#[0-9]+\)", read.actor)  # the account's id beside its name
    # The page never lists its own reading; the next one does.
    again = await organiser.client.get("/audit")
    assert _rows(again.text)[0][2] == "audit.read"


async def test_filters_by_who_what_and_when(gateway: Gateway, organiser: Console) -> None:
    day = datetime(2026, 11, 20, 10, tzinfo=UTC)
    await _add(
        gateway,
        [
            {
                "at": day,
                "actor": "Moussa Koné",
                "role": "organiser",
                "action": "reports.read",
                "detail": "R-1",
            },
            {
                "at": day + timedelta(days=1),
                "actor": "Moussa Koné",
                "role": "organiser",
                "action": "reports.change",
                "detail": "R-1: status",
            },
            {"at": day + timedelta(days=2), "actor": "Fatou", "role": "viewer", "action": "reports.list"},
            {"at": day + timedelta(days=2), "actor": "Fatou", "role": "viewer", "action": "reportsX.odd"},
            {
                "at": day + timedelta(days=3),
                "actor": "100%_sure",
                "role": "viewer",
                "action": "committees.read",
            },
        ],
    )

    async def actions(**query: str) -> list[str]:
        page = await organiser.client.get("/audit", params=query)
        assert page.status_code == 200, page.text
        return [action for *_, action in _rows(page.text)]

    assert await actions(actor="moussa") == ["reports.change", "reports.read"]
    assert await actions(actor="MOUSSA KONÉ".lower()) == ["reports.change", "reports.read"]
    assert await actions(actor="%") == ["committees.read"]  # a literal %, not a wildcard
    assert await actions(action="reports") == ["reports.list", "reports.change", "reports.read"]
    assert await actions(action="reports.read") == ["reports.read"]
    assert await actions(**{"from": "2026-11-21", "to": "2026-11-22"}) == [
        "reportsX.odd",
        "reports.list",
        "reports.change",
    ]
    assert await actions(actor="fatou", action="reports", to="2026-11-22") == ["reports.list"]
    # The form shows back what was asked, and offers the actions seen.
    page = await organiser.client.get("/audit", params={"actor": "fatou", "from": "2026-11-21"})
    assert 'name="actor" value="fatou"' in page.text
    assert 'name="from" type="date" value="2026-11-21"' in page.text
    assert '<option value="reports.change">' in page.text


async def test_fifty_a_page_then_older_ones(gateway: Gateway, organiser: Console) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    await _add(
        gateway,
        [
            {
                "at": start + timedelta(minutes=n),
                "actor": f"n{n:03d}",
                "role": "viewer",
                "action": "reports.read",
            }
            for n in range(120)
        ],
    )
    seen: list[str] = []
    query: dict[str, str] = {"action": "reports.read"}
    for expected in (50, 50, 20):
        page = await organiser.client.get("/audit", params=query)
        assert page.status_code == 200
        rows = _rows(page.text)
        assert len(rows) == expected
        seen += [actor for _, actor, _ in rows]
        found = re.search(r'href="/audit\?([^"]+)" rel="next"', page.text)
        if expected < 50:
            assert found is None
            break
        assert found is not None
        assert "action=reports.read" in found.group(1)  # the filters go with the pages
        query = dict(pair.split("=", 1) for pair in found.group(1).replace("&amp;", "&").split("&"))
    assert seen == [f"n{n:03d}" for n in range(119, -1, -1)]


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"to": "2026-13-45"},
        {"from": "1900-01-01"},
        {"before": "abc"},
        {"before": "²"},
        {"before": "9" * 40},
        {"actor": "x" * 5000},
        {"actor": "'; DROP TABLE audit_events; --"},
        {"action": "\x00\x01"},
        {"actor": "<script>alert(1)</script>"},
    ],
)
async def test_hostile_queries_are_said_not_a_500(
    gateway: Gateway, organiser: Console, query: dict[str, str]
) -> None:
    page = await organiser.client.get("/audit", params=query)
    assert page.status_code in (200, 400), page.text
    assert "<script>alert" not in page.text
    if page.status_code == 400:
        assert 'class="error" role="alert"' in page.text
    assert (await organiser.client.get("/audit")).status_code == 200  # the table is still there


async def test_only_organisers_read_it(gateway: Gateway, make_committee: object) -> None:
    async with AsyncExitStack() as stack:
        viewer = await _signed_in(gateway, stack, "lecteur@example.org", "viewer")
        assert (await viewer.client.get("/audit")).status_code == 403
        async with gateway.sessionmaker() as db:
            assert (
                list(
                    (
                        await db.execute(select(AuditEvent.action).where(AuditEvent.action == "audit.read"))
                    ).scalars()
                )
                == []
            )
    async with console_for(gateway) as anonymous:
        refused = await anonymous.client.get("/audit")
        assert refused.status_code == 303
        assert refused.headers["location"] == "/signin"
