"""Broadcasts in the console over HTTP: who may see them, the composer's preview (GSM-7 spelling,
parts, readers per language, French stand-ins), saving a draft, the moves, the live counts, CSRF,
bad input said in French with the values kept, the audit log, and no phone number anywhere."""

from __future__ import annotations

import html as markup
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.areas.models import Area
from gateway.audit.models import AuditEvent
from gateway.broadcasts.meetings import create_meeting
from gateway.broadcasts.models import Broadcast, Meeting
from gateway.db.base import utcnow
from gateway.outbox.models import OutboundMessage
from gateway.wiring import Gateway
from tests.accounts.helpers import Console, People, console_for
from tests.broadcasts.test_broadcasts import subscribers
from tests.helpers import MakeCommittee

PHONES = [
    ("+22376000801", "fr", "Zégoua"),
    ("+22376000802", "bm", "Zégoua"),
    ("+22376000803", "bm", "Zégoua"),
    ("+22670000804", "dyu", "Niangoloko"),
    ("+22670000805", "mos", "Niangoloko"),
]
_PHONE = re.compile(r"\+?22[36]\d{8}")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
async def people(gateway: Gateway) -> AsyncIterator[People]:
    await subscribers(gateway, PHONES)
    async with AsyncExitStack() as stack:
        yield People(gateway, stack)


async def area_id(gateway: Gateway, name: str, level: int = 3) -> int:
    async with gateway.sessionmaker() as db:
        return (await db.execute(select(Area.id).where(Area.name == name, Area.level == level))).scalar_one()


async def a_meeting(gateway: Gateway, **titles: str) -> Meeting:
    async with gateway.sessionmaker() as db, db.begin():
        return await create_meeting(
            db,
            title=titles or {"fr": "Forum frontalier", "bm": "Dancɛ lajɛ"},
            place="Mairie de Zégoua",
            area="Zégoua",
            starts_at=utcnow() + timedelta(days=5),
            timezone="Africa/Bamako",
            agenda={"fr": "Sécurité du marché"},
        )


def token(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html
    return found.group(1)


async def audit(gateway: Gateway, action: str) -> list[AuditEvent]:
    async with gateway.sessionmaker() as db:
        rows = await db.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return list(rows.scalars())


async def compose(console: Console, **fields: object) -> tuple[int, str, str]:
    page = await console.client.get("/broadcasts/new")
    data = {"csrf_token": token(page.text), **fields}
    answer = await console.client.post("/broadcasts/new", data=data)
    return answer.status_code, markup.unescape(answer.text), answer.headers.get("location", "")


async def read(console: Console, path: str, **data: str) -> tuple[int, str]:
    """A page (GET, or POST with `data`) as text a person reads: entities (l&#39;) undone."""
    answer = await (console.client.post(path, data=data) if data else console.client.get(path))
    return answer.status_code, markup.unescape(answer.text)


async def test_who_may_see_the_broadcasts(
    gateway: Gateway, people: People, make_committee: MakeCommittee
) -> None:
    meeting = await a_meeting(gateway)
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    status, _, location = await compose(
        organiser, kind="notice", meeting=str(meeting.id), area=str(zegoua), action="save"
    )
    assert status == 303
    listed = await organiser.client.get("/broadcasts")
    assert listed.status_code == 200
    assert "Avis de réunion · Forum frontalier" in listed.text
    assert 'action="/broadcasts/1/schedule"' in listed.text or "/schedule" in listed.text
    assert '/static/broadcasts.js" data-counts="/broadcasts/counts"' in listed.text

    viewer = await people.console("lecteur@example.org", "viewer")
    read = await viewer.client.get("/broadcasts")
    assert read.status_code == 200
    assert "Forum frontalier" in read.text
    assert 'method="post" action="/broadcasts' not in read.text  # reads only
    assert (await viewer.client.get(location)).status_code == 200
    refused = await viewer.client.get("/broadcasts/new")
    assert refused.status_code == 403
    assert "Votre rôle ne donne pas accès à cette page." in markup.unescape(refused.text)
    assert (await viewer.client.get("/meetings")).status_code == 200  # read, with no form

    committee = await make_committee("Comité Zégoua", ["Zégoua"], [])
    member = await people.console("maire@example.org", "committee", committee.id)
    for path in ("/broadcasts", "/broadcasts/new", "/meetings", location, "/broadcasts/counts?id=1"):
        assert (await member.client.get(path)).status_code == 403, path

    async with console_for(gateway) as stranger:
        away = await stranger.client.get("/broadcasts")
        assert away.status_code == 303
        assert away.headers["location"].endswith("/signin")


async def test_an_announcement_previewed_then_saved(gateway: Gateway, people: People) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    kadiolo = await area_id(gateway, "Kadiolo", level=2)
    fields = {
        "kind": "announcement",
        "text_fr": "Le marché de Zégoua est fermé vendredi. Même l'après-midi.",
        "text_bm": "Zégoua sugu bɛ datugu juma don.",
        "area": [str(zegoua), str(kadiolo)],
        "french_fallback": "1",
    }
    status, html, _ = await compose(organiser, **fields, action="preview")
    assert status == 200, html
    # Exactly as the phone shows it: GSM-7 spelling (ɛ -> è), parts, readers per language.
    assert "Zégoua sugu bè datugu juma don." in html
    assert '<pre class="phone">Le marché de Zégoua est fermé vendredi. Meme l\'après-midi.</pre>' in html
    assert "Destinataires : 3 · SMS en tout : 3." in html  # fr 1, bm 2; dyu and mos live elsewhere
    assert "GSM-7" in html
    assert "faute de texte dans leur langue : Julakan, Mooré" not in html
    assert "Reçoivent tout ou partie du message en français, faute de texte dans leur langue : Mooré" in html
    # What was typed stays in the form.
    assert ">Zégoua sugu bɛ datugu juma don.</textarea>" in html
    assert f'value="{zegoua}" checked' in html
    assert "Coût : inconnu" in html
    assert not await audit(gateway, "broadcasts.create")  # a preview saves nothing

    fragment = await organiser.client.post("/broadcasts/preview", data={"csrf_token": token(html), **fields})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Zégoua sugu bè datugu juma don." in fragment.text

    status, _, location = await compose(organiser, **fields, action="save")
    assert status == 303
    assert re.fullmatch(r"/broadcasts/\d+\?done=created", location)
    shown = await organiser.client.get(location)
    assert "Brouillon enregistré" in shown.text
    assert "brouillon" in shown.text
    assert "Zégoua sugu bɛ datugu juma don." in shown.text  # the text as written
    assert "Zégoua sugu bè datugu juma don." in shown.text  # and as sent
    async with gateway.sessionmaker() as db:
        saved = (await db.execute(select(Broadcast))).scalar_one()
    assert (saved.kind, saved.status, saved.french_fallback) == ("announcement", "draft", True)
    [created] = await audit(gateway, "broadcasts.create")
    assert (created.role, created.detail) == (
        "organiser",
        f"broadcast {saved.id} (announcement), languages: all",
    )


async def test_a_notice_shows_the_system_texts_in_every_language(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(
        gateway, fr="Forum frontalier", bm="Dancɛ lajɛ", dyu="Dancɛ lajɛ", mos="Tẽns lagma"
    )
    organiser = await people.console("awa@example.org", "organiser")
    preset = await organiser.client.get(f"/broadcasts/new?meeting={meeting.id}")
    assert f'<option value="{meeting.id}" selected>' in preset.text
    zegoua, niangoloko = await area_id(gateway, "Zégoua"), await area_id(gateway, "Niangoloko")
    assert f'value="{zegoua}" checked' in preset.text  # the meeting's commune, proposed
    status, html, _ = await compose(
        organiser,
        kind="notice",
        meeting=str(meeting.id),
        area=[str(zegoua), str(niangoloko)],
        action="preview",
    )
    assert status == 200, html
    assert "Destinataires : 5 ·" in html
    assert "Forum frontalier:" in html
    assert "Dancè lajè:" in html  # Bambara and Dioula, GSM-7 spelt
    assert "Répondez 1 (oui) ou 2 (non)" in html or "Repondez 1 (oui) ou 2 (non)" in html
    assert "Ordre du jour en" in html  # the agenda exists only in French


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"kind": "announcement", "text_fr": "Bonjour"}, "Choisissez au moins un cercle"),
        ({"kind": "announcement", "area": "ZONE"}, "Écrivez le texte de l'annonce"),
        (
            {"kind": "announcement", "text_bm": "a" * 481, "area": "Z"},
            "Le texte en Bamanankan fait 481 caractères",
        ),
        ({"kind": "notice", "area": "Z"}, "Choisissez la réunion que l'avis annonce"),
        ({"kind": "notice", "meeting": "999999", "area": "Z"}, "Choisissez la réunion"),
        ({"kind": "mail", "text_fr": "x", "area": "Z"}, "Choisissez le type de diffusion"),
        ({"kind": "announcement", "text_fr": "x", "area": "99999999"}, "Un des lieux choisis n'existe pas"),
        ({"kind": "announcement", "text_fr": "x", "area": "Z", "send_at": "demain"}, "n'est pas lisible"),
        (
            {"kind": "announcement", "text_fr": "x", "area": "Z", "send_at": "9999-12-31T23:59"},
            "n'est pas lisible",
        ),
        ({"kind": "announcement", "text_fr": "x", "area": "Z", "send_at": "2020-01-01T10:00"}, "est passée"),
    ],
)
async def test_bad_input_is_said_in_french_and_kept(
    gateway: Gateway, people: People, fields: dict[str, str], said: str
) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    sent = {k: (str(zegoua) if v == "Z" else v) for k, v in fields.items()}
    for action in ("preview", "save"):
        status, html, _ = await compose(organiser, **sent, action=action)
        assert status == 422, html
        assert said in html
        assert 'role="alert"' in html
        for name in ("text_fr", "text_bm"):
            if name in sent and len(sent[name]) < 300:
                assert f">{sent[name]}</textarea>" in html
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Broadcast))).first() is None


async def test_a_notice_after_its_meeting_is_refused(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(gateway)
    organiser = await people.console("awa@example.org", "organiser")
    late = (meeting.starts_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    status, html, _ = await compose(
        organiser,
        kind="notice",
        meeting=str(meeting.id),
        area=str(await area_id(gateway, "Zégoua")),
        send_at=late,
        action="save",
    )
    assert status == 422
    assert "après le début de la réunion" in html
    assert f'value="{late}"' in html


async def test_schedule_pause_resume_cancel(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(gateway)
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    _, _, location = await compose(
        organiser, kind="notice", meeting=str(meeting.id), area=str(zegoua), action="save"
    )
    path = location.split("?")[0]
    page = await organiser.client.get(path)
    csrf = token(page.text)

    past = await organiser.client.post(
        f"{path}/schedule", data={"csrf_token": csrf, "send_at": "2020-01-01T08:00"}
    )
    assert past.status_code == 422
    assert "La date d'envoi est passée" in markup.unescape(past.text)
    assert 'value="2020-01-01T08:00"' in past.text
    garbled = await organiser.client.post(f"{path}/schedule", data={"csrf_token": csrf, "send_at": "bientôt"})
    assert garbled.status_code == 422
    assert "n'est pas lisible" in markup.unescape(garbled.text)

    when = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = await organiser.client.post(f"{path}/schedule", data={"csrf_token": csrf, "send_at": when})
    assert scheduled.status_code == 303
    assert scheduled.headers["location"] == f"{path}?done=schedule"
    shown = await organiser.client.get(scheduled.headers["location"])
    assert "Diffusion programmée." in shown.text
    assert "programmée" in shown.text
    assert "Rappel de réunion" in shown.text  # its reminder, planned with it
    for action, status in (("pause", "paused"), ("resume", "scheduled"), ("pause", "paused")):
        moved = await organiser.client.post(f"{path}/{action}", data={"csrf_token": csrf, "back": "list"})
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/broadcasts?done={action}"
        async with gateway.sessionmaker() as db:
            assert (await db.get(Broadcast, int(path.rsplit("/", 1)[1]))).status == status  # type: ignore[union-attr]
    cancelled = await organiser.client.post(f"{path}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    again = await organiser.client.post(f"{path}/resume", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "Impossible dans l'état où est la diffusion : annulée." in markup.unescape(again.text)
    assert (await organiser.client.post(f"{path}/explode", data={"csrf_token": csrf})).status_code == 404
    assert (await organiser.client.get("/broadcasts/77777")).status_code == 404
    assert (await organiser.client.get("/broadcasts/x%00y")).status_code == 404
    actions = [e.action for e in await _all_audit(gateway) if e.action.startswith("broadcasts.")]
    assert actions == [
        "broadcasts.create",
        "broadcasts.schedule",
        "broadcasts.pause",
        "broadcasts.resume",
        "broadcasts.pause",
        "broadcasts.cancel",
    ]
    async with gateway.sessionmaker() as db:
        statuses = sorted((await db.execute(select(Broadcast.kind, Broadcast.status))).all())
    assert statuses == [("notice", "cancelled"), ("reminder", "cancelled")]


async def _all_audit(gateway: Gateway) -> list[AuditEvent]:
    async with gateway.sessionmaker() as db:
        return list((await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def test_forms_without_their_token_are_refused(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(gateway)
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    _, _, location = await compose(
        organiser, kind="notice", meeting=str(meeting.id), area=str(zegoua), action="save"
    )
    path = location.split("?")[0]
    for url, data in (
        (
            "/broadcasts/new",
            {"kind": "notice", "meeting": str(meeting.id), "area": str(zegoua), "action": "save"},
        ),
        ("/broadcasts/preview", {"kind": "notice"}),
        (f"{path}/schedule", {}),
        (f"{path}/cancel", {"csrf_token": "0" * 64}),
    ):
        refused = await organiser.client.post(url, data=data)
        assert refused.status_code == 403, url
    async with gateway.sessionmaker() as db:
        assert [b.status for b in (await db.execute(select(Broadcast))).scalars()] == ["draft"]


async def test_live_counts_follow_the_outbox(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(gateway)
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    _, _, location = await compose(
        organiser, kind="notice", meeting=str(meeting.id), area=str(zegoua), action="save"
    )
    path = location.split("?")[0]
    broadcast_id = int(path.rsplit("/", 1)[1])
    page = await organiser.client.get(path)
    await organiser.client.post(f"{path}/schedule", data={"csrf_token": token(page.text)})
    before = (await organiser.client.get(f"/broadcasts/counts?id={broadcast_id}")).json()
    assert before[str(broadcast_id)]["recipients"] == 0
    assert before[str(broadcast_id)]["status_label"] == "programmée"
    await gateway.expander.expand_all()
    async with gateway.sessionmaker() as db, db.begin():
        first = (await db.execute(select(OutboundMessage.id).order_by(OutboundMessage.id))).scalars().first()
        await db.execute(update(OutboundMessage).where(OutboundMessage.id == first).values(status="sent"))
    counts = await organiser.client.get(f"/broadcasts/counts?id={broadcast_id}&id=x&id=999")
    assert counts.status_code == 200
    assert counts.headers["cache-control"] == "no-store"
    body = counts.json()
    assert list(body) == [str(broadcast_id)]
    numbers = body[str(broadcast_id)]
    assert (numbers["status"], numbers["recipients"], numbers["queued"], numbers["sent"]) == ("done", 3, 2, 1)
    assert (numbers["yes"], numbers["no"], numbers["no_answer"]) == (0, 0, 3)
    listed = await organiser.client.get("/broadcasts")
    assert re.search(rf'<tr data-b="{broadcast_id}" data-live="1">', listed.text)
    assert '<b data-n="sent">1</b>' in listed.text
    shown = await organiser.client.get(path)
    assert "Zégoua" in shown.text
    assert '<td class="n" data-n="recipients">3</td>' in shown.text
    viewer = await people.console("lecteur@example.org", "viewer")
    assert (await viewer.client.get(f"/broadcasts/counts?id={broadcast_id}")).json() == body
    # No page of these shows a subscriber's number.
    for html in (listed.text, shown.text, (await organiser.client.get("/broadcasts/new")).text):
        assert _PHONE.search(html) is None
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Broadcast.id).where(Broadcast.kind == "reminder"))).first()


async def test_hostile_addresses_never_give_a_500(gateway: Gateway, people: People) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    for path, status in (
        ("/broadcasts?status=zzz", 400),
        ("/broadcasts?offset=-5", 400),
        ("/broadcasts?offset=99999999999999999999", 400),
        ("/broadcasts?status=draft&offset=50", 200),
        ("/broadcasts/counts?id=&id=-1&id=1e9&id=" + "9" * 40, 200),
        ("/broadcasts/99999999999999999999", 404),
        ("/broadcasts/new?meeting=abc&kind=zzz", 200),
        ("/broadcasts/new?meeting=99999999999", 200),
        ("/broadcasts/counts?id=²&id=١", 200),  # digits to str.isdigit, not to int()
        ("/broadcasts/²", 404),
        ("/broadcasts?offset=²", 400),
    ):
        answer = await organiser.client.get(path)
        assert answer.status_code == status, path
    refused = markup.unescape((await organiser.client.get("/broadcasts?status=zzz")).text)
    assert "Ce filtre n'est pas reconnu" in refused
    page = await organiser.client.get("/broadcasts/new")
    csrf = token(page.text)
    odd = await organiser.client.post(
        "/broadcasts/new",
        data={
            "csrf_token": csrf,
            "kind": "announcement",
            "text_fr": "\x00x" * 2000,
            "area": ["1" * 30, "ab"],
        },
    )
    assert odd.status_code == 422
    assert (
        await organiser.client.post("/broadcasts/1/schedule", data={"csrf_token": csrf})
    ).status_code == 404


async def test_the_script_is_small_and_served(gateway: Gateway, people: People) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    script = await organiser.client.get("/static/broadcasts.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) < 4096  # 2G/3G: no framework


async def test_recipients_chosen_by_language(gateway: Gateway, people: People) -> None:
    meeting = await a_meeting(
        gateway, fr="Forum frontalier", bm="Dancɛ lajɛ", dyu="Dancɛ lajɛ", mos="Tẽns lagma"
    )
    organiser = await people.console("awa@example.org", "organiser")
    page = await organiser.client.get("/broadcasts/new")
    assert "Langues des destinataires" in markup.unescape(page.text)
    for lang in ("fr", "bm", "dyu", "mos"):  # none ticked: every language
        assert f'name="language" value="{lang}">' in page.text
    zegoua, niangoloko = await area_id(gateway, "Zégoua"), await area_id(gateway, "Niangoloko")
    fields = {
        "kind": "notice",
        "meeting": str(meeting.id),
        "area": [str(zegoua), str(niangoloko)],
        "language": "mos",
    }
    status, html, _ = await compose(organiser, **fields, action="preview")
    assert status == 200, html
    assert "Destinataires : 1 ·" in html  # the one Mooré reader of the five
    assert '<section class="sms-line" lang="mos">' in html
    for other in ("fr", "bm", "dyu"):
        assert f'<section class="sms-line" lang="{other}">' not in html
    assert 'name="language" value="mos" checked' in html
    assert 'name="language" value="fr" checked' not in html

    status, _, location = await compose(organiser, **fields, action="save")
    assert status == 303
    code, shown = await read(organiser, location)
    assert code == 200
    assert "<dt>Langues des destinataires</dt><dd>Mooré</dd>" in shown
    async with gateway.sessionmaker() as db:
        saved = (await db.execute(select(Broadcast))).scalar_one()
    assert saved.languages == ["mos"]
    [created] = await audit(gateway, "broadcasts.create")
    assert created.detail == f"broadcast {saved.id} (notice), languages: mos"


async def test_every_language_is_said_on_a_broadcast_without_a_filter(
    gateway: Gateway, people: People
) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    fields = {"kind": "announcement", "text_fr": "Bonjour", "area": str(await area_id(gateway, "Zégoua"))}
    status, _, location = await compose(organiser, **fields, action="save")
    assert status == 303
    _, shown = await read(organiser, location)
    assert "<dt>Langues des destinataires</dt><dd>Toutes les langues</dd>" in shown


@pytest.mark.parametrize(
    ("posted", "said"),
    [
        (["mos", "xx"], "Langue des destinataires inconnue : « xx »"),
        # Only letters, digits and dashes (12 at most) are said back: never taken for a message id.
        (["mos", "console.broadcasts.title"], "Langue des destinataires inconnue : « consolebroad »"),
    ],
)
async def test_an_unknown_language_is_said_in_french_and_the_form_kept(
    gateway: Gateway, people: People, posted: list[str], said: str
) -> None:
    organiser = await people.console("awa@example.org", "organiser")
    zegoua = await area_id(gateway, "Zégoua")
    fields = {"kind": "announcement", "text_fr": "Route fermée.", "area": str(zegoua), "language": posted}
    for action in ("preview", "save"):
        status, html, _ = await compose(organiser, **fields, action=action)
        assert status == 422, html
        assert said in html
        assert 'role="alert"' in html
        assert 'name="language" value="mos" checked' in html
        assert ">Route fermée.</textarea>" in html
        assert f'value="{zegoua}" checked' in html
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(Broadcast))).first() is None
