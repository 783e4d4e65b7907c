"""Signing in to the console over HTTP: cookies, CSRF, lockout, session expiry, invitations, roles,
the audit log, and hostile input. The clock is moved, never slept on."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.accounts.models import ConsoleSession, User
from gateway.accounts.people import Person
from gateway.audit.models import AuditEvent
from gateway.logging import log_handler
from gateway.web.auth import OrganiserOnly, Writer, console_router
from gateway.wiring import Gateway
from tests.accounts.helpers import PASSWORD, Console, console_for, make_user


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made


async def _audit(gateway: Gateway) -> list[tuple[str, str, str, str]]:
    async with gateway.sessionmaker() as db:
        rows = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars()
        return [(r.actor, r.role, r.action, r.detail) for r in rows]


def _session_cookie(response: object) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith("gw_session=")]  # type: ignore[attr-defined]
    assert len(headers) == 1, headers
    return headers[0]


async def test_home_sends_to_sign_in_then_to_the_overview(gateway: Gateway, console: Console) -> None:
    home = await console.client.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/signin")
    await make_user(gateway)
    signed = await console.sign_in()
    assert (signed.status_code, signed.headers["location"]) == (303, "/overview")
    home = await console.client.get("/")
    assert home.headers["location"] == "/overview"
    overview = await console.client.get("/overview")
    assert overview.status_code == 200
    assert "Connecté : Awa Traoré, organisateur." in overview.text
    # Already signed in: the sign-in page sends on.
    assert (await console.client.get("/signin")).headers["location"] == "/overview"


async def test_the_session_cookie_is_httponly_lax_and_holds_only_a_random_id(
    gateway: Gateway, console: Console
) -> None:
    await make_user(gateway)
    cookie = _session_cookie(await console.sign_in())
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (development): a Secure cookie would never come back
    value = cookie.split(";")[0].removeprefix("gw_session=")
    assert value.startswith("gws_")
    assert len(value) == 4 + 43  # 32 random bytes, nothing else (no user id, no role)
    async with gateway.sessionmaker() as db:
        stored = (await db.execute(select(ConsoleSession.token_hash))).scalar_one()
    assert value not in stored


async def test_over_https_the_cookie_is_secure(gateway: Gateway) -> None:
    await make_user(gateway)
    async with console_for(gateway, base_url="https://console.test") as console:
        cookie = _session_cookie(await console.sign_in())
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


async def test_pages_carry_no_cache_no_frame_no_referrer(console: Console) -> None:
    page = await console.client.get("/signin")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert 'lang="fr"' in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text


async def test_every_sign_in_is_audited_and_no_password_is_kept(gateway: Gateway, console: Console) -> None:
    user = await make_user(gateway)
    wrong = await console.sign_in(password="wrong password!")
    assert wrong.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in wrong.text
    assert "gw_session=" not in wrong.headers.get("set-cookie", "")
    assert 'value="awa@example.org"' in wrong.text  # the login is given back, the password never
    assert "wrong password!" not in wrong.text
    unknown = await console.sign_in(login="nobody@example.org")
    assert "Identifiant ou mot de passe incorrect" in unknown.text  # the same words: nothing to enumerate
    await console.sign_in()
    rows = await _audit(gateway)
    assert rows == [
        (f"Awa Traoré (#{user.id})", "organiser", "console.signin", "bad_password"),
        ("n***@***", "-", "console.signin", "unknown_login"),
        (f"Awa Traoré (#{user.id})", "organiser", "console.signin", "ok"),
    ]
    text = repr(rows)
    assert PASSWORD not in text
    assert "wrong password!" not in text
    assert "nobody@example.org" not in text
    async with gateway.sessionmaker() as db:
        signed = (await db.execute(select(User))).scalar_one()
    assert signed.last_signin_at == console.now
    assert signed.failed_attempts == 0


async def test_five_failures_lock_the_account_for_fifteen_minutes(gateway: Gateway, console: Console) -> None:
    await make_user(gateway)
    for _ in range(5):
        await console.sign_in(password="not the password")
    # Locked: even the right password is refused, without being checked.
    refused = await console.sign_in()
    assert "gw_session=" not in refused.headers.get("set-cookie", "")
    assert "5 essais" in refused.text
    assert "15 minutes" in refused.text
    console.move(timedelta(minutes=14, seconds=59))
    assert "gw_session=" not in (await console.sign_in()).headers.get("set-cookie", "")
    console.move(timedelta(seconds=1))
    assert (await console.sign_in()).status_code == 303
    outcomes = [detail for *_rest, detail in await _audit(gateway)]
    assert outcomes == ["bad_password"] * 5 + ["locked", "locked", "ok"]


async def test_failures_apart_count_until_a_success(gateway: Gateway, console: Console) -> None:
    await make_user(gateway)
    for _ in range(4):
        await console.sign_in(password="not the password")
    assert (await console.sign_in()).status_code == 303
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(User.failed_attempts))).scalar_one() == 0


async def test_a_session_ends_after_idleness(gateway: Gateway, console: Console) -> None:
    await make_user(gateway)
    await console.sign_in()
    for _ in range(3):  # active: 50 minutes apart keeps it alive
        console.move(timedelta(minutes=50))
        assert (await console.client.get("/overview")).status_code == 200
    console.move(timedelta(minutes=60, seconds=1))
    gone = await console.client.get("/overview")
    assert (gone.status_code, gone.headers["location"]) == (303, "/signin")
    assert 'gw_session=""' in gone.headers["set-cookie"]
    async with gateway.sessionmaker() as db:
        assert (await db.execute(select(ConsoleSession))).first() is None


async def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    gateway: Gateway, console: Console
) -> None:
    await make_user(gateway)
    await console.sign_in()
    for _ in range(14):
        console.move(timedelta(minutes=50))
        assert (await console.client.get("/overview")).status_code == 200
    console.move(timedelta(minutes=50))  # 12 h 30 after sign-in
    assert (await console.client.get("/overview")).status_code == 303


async def test_sign_out_ends_the_session(gateway: Gateway, console: Console) -> None:
    await make_user(gateway)
    cookie = _session_cookie(await console.sign_in()).split(";")[0].removeprefix("gw_session=")
    token = await console.csrf("/overview")
    out = await console.client.post("/signout", data={"csrf_token": token})
    assert (out.status_code, out.headers["location"]) == (303, "/signin?out=1")
    assert "Vous êtes déconnecté." in (await console.client.get("/signin?out=1")).text
    # The old cookie, replayed, signs nobody in.
    console.client.cookies.set("gw_session", cookie)
    assert (await console.client.get("/overview")).status_code == 303
    assert [a for _n, _r, a, _d in await _audit(gateway)] == ["console.signin", "console.signout"]


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-hex"])
async def test_a_form_without_its_token_is_refused(
    gateway: Gateway, console: Console, token: str | None
) -> None:
    await make_user(gateway)
    await console.client.get("/signin")  # the browser has its pre-session cookie
    data = {"login": "awa@example.org", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    refused = await console.client.post("/signin", data=data)
    assert refused.status_code == 403
    assert "Formulaire refusé" in refused.text
    assert "Rechargez la page" in refused.text
    assert "gw_session=" not in refused.headers.get("set-cookie", "")
    assert await _audit(gateway) == []  # refused before anything was tried


async def test_a_token_from_another_browser_is_refused(gateway: Gateway) -> None:
    await make_user(gateway)
    async with console_for(gateway) as attacker, console_for(gateway) as victim:
        forged = await attacker.csrf("/signin")
        await victim.client.get("/signin")
        refused = await victim.client.post(
            "/signin", data={"login": "awa@example.org", "password": PASSWORD, "csrf_token": forged}
        )
        assert refused.status_code == 403


async def test_sign_out_needs_the_token_of_its_own_session(gateway: Gateway) -> None:
    await make_user(gateway)
    await make_user(gateway, "bakary", name="Bakary Sanogo", role="viewer")
    async with console_for(gateway) as awa, console_for(gateway) as bakary:
        await awa.sign_in()
        await bakary.sign_in("bakary")
        # Bakary's page token with Awa's session cookie (or none at all) signs nobody out.
        token = await bakary.csrf("/overview")
        assert (await awa.client.post("/signout", data={"csrf_token": token})).status_code == 403
        assert (await awa.client.post("/signout")).status_code == 403
        assert (await awa.client.get("/overview")).status_code == 200


async def test_sign_in_replaces_a_session_id_planted_before(gateway: Gateway, console: Console) -> None:
    await make_user(gateway)
    await make_user(gateway, "mallory", name="Mallory", role="viewer")
    async with console_for(gateway) as mallory:
        planted = _session_cookie(await mallory.sign_in("mallory")).split(";")[0].split("=", 1)[1]
    # Awa opens the sign-in page; Mallory then slips her own session id into Awa's browser.
    token = await console.csrf("/signin")
    console.client.cookies.set("gw_session", planted, domain="gateway.test")
    assert "Mallory" in (await console.client.get("/overview")).text
    signed = await console.client.post(
        "/signin", data={"login": "awa@example.org", "password": PASSWORD, "csrf_token": token}
    )
    fresh = _session_cookie(signed).split(";")[0].split("=", 1)[1]
    assert fresh != planted
    assert "Awa Traoré" in (await console.client.get("/overview")).text
    # The planted id is dead now: whoever kept it is signed out.
    async with console_for(gateway) as again:
        again.client.cookies.set("gw_session", planted)
        assert (await again.client.get("/overview")).status_code == 303


@pytest.mark.parametrize("cookie", ["gws_" + "A" * 43, "' OR 1=1 --", "gws_" + "x" * 10_000, "gwi_abc"])
async def test_a_made_up_session_cookie_signs_nobody_in(
    gateway: Gateway, console: Console, cookie: str
) -> None:
    await make_user(gateway)
    await console.sign_in()
    async with console_for(gateway) as other:
        other.client.cookies.set("gw_session", cookie)
        assert (await other.client.get("/overview")).status_code == 303


async def test_a_disabled_account_cannot_sign_in_and_loses_its_sessions(
    gateway: Gateway, console: Console
) -> None:
    user = await make_user(gateway)
    await console.sign_in()
    async with gateway.sessionmaker() as db, db.begin():
        (await db.get(User, user.id)).active = False  # type: ignore[union-attr]
    assert (await console.client.get("/overview")).status_code == 303
    refused = await console.sign_in()
    assert "Identifiant ou mot de passe incorrect" in refused.text
    assert [d for *_r, d in await _audit(gateway)] == ["ok", "disabled"]


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("' OR '1'='1", "' OR '1'='1"),
        ("awa@example.org'; DROP TABLE users; --", PASSWORD),
        ("a" * 100_000, PASSWORD),
        ("awa@example.org", "p" * 100_000),
        ("\u0000\u202e", "\ud7ff"),
        ("", ""),
    ],
)
async def test_hostile_sign_ins_are_refused_calmly(
    gateway: Gateway, console: Console, login: str, password: str
) -> None:
    await make_user(gateway)
    answer = await console.sign_in(login, password)
    assert answer.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in answer.text
    async with gateway.sessionmaker() as db:
        assert len((await db.execute(select(User))).all()) == 1
        actors = [r.actor for r in (await db.execute(select(AuditEvent))).scalars()]
    assert all(len(actor) <= 160 for actor in actors)


async def test_names_are_shown_escaped(gateway: Gateway, console: Console) -> None:
    await make_user(gateway, name="<script>alert(1)</script> Ɲɛ Ŋɔ́")
    await console.sign_in()
    page = (await console.client.get("/overview")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ɲɛ Ŋɔ́" in page


async def test_roles_bound_what_a_page_lets_through(gateway: Gateway, console: Console) -> None:
    router = console_router()

    @router.get("/test/organisers")
    async def organisers(person: OrganiserOnly) -> dict[str, str]:
        return {"who": person.name}

    @router.post("/test/change")
    async def change(person: Writer) -> dict[str, int | None]:
        return {"committee": person.committee_id}

    console.app.include_router(router)
    committee_id = await _committee(gateway)
    await make_user(gateway, "viewer", name="Viewer", role="viewer")
    await make_user(gateway, "member", name="Member", role="committee", committee_id=committee_id)
    await make_user(gateway, "organiser", name="Organiser")
    for login, sees, changes in [("viewer", 403, 403), ("member", 403, 200), ("organiser", 200, 200)]:
        async with console_for(gateway) as browser:
            browser.app.include_router(router)
            await browser.sign_in(login)
            assert (await browser.client.get("/test/organisers")).status_code == sees, login
            token = await browser.csrf("/overview")
            assert (
                await browser.client.post("/test/change", data={"csrf_token": token})
            ).status_code == changes
    refused = await console.client.get("/test/organisers")
    assert refused.status_code == 303  # not signed in: to the sign-in page


def test_a_committee_member_sees_only_their_committee() -> None:
    from gateway.web.auth import committee_scope

    member = Person(1, "M", "committee", 7, 1)
    organiser = Person(2, "O", "organiser", None, 2)
    assert member.sees_committee(7)
    assert not member.sees_committee(8)
    assert organiser.sees_committee(8)
    assert (committee_scope(member), committee_scope(organiser)) == (7, None)
    assert Person(3, "V", "viewer", None, 3).read_only


async def _committee(gateway: Gateway) -> int:
    from gateway.committees.service import create_committee

    async with gateway.sessionmaker() as db, db.begin():
        committee = await create_committee(
            db, "Comité de Kadiolo", ["cercle:Kadiolo"], "weekly mon 08:00", "Africa/Bamako"
        )
        return committee.id


async def test_nothing_secret_reaches_the_logs(gateway: Gateway, console: Console) -> None:
    # Everything the process logs, at DEBUG (SQL statements and their parameters included), through
    # the handler every command configures: the masking is the formatter's.
    stream = io.StringIO()
    handler = log_handler(gateway.settings, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # SQLAlchemy's own statement log, which asyncpg (unlike aiosqlite) does not give at DEBUG.
    engine_log = logging.getLogger("sqlalchemy.engine")
    engine_level = engine_log.level
    engine_log.setLevel(logging.INFO)
    try:
        await make_user(gateway)
        await console.sign_in(password="wrong password!")
        signed = await console.sign_in()
        await console.client.get("/overview")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        engine_log.setLevel(engine_level)
    session = _session_cookie(signed).split(";")[0].split("=", 1)[1]
    async with gateway.sessionmaker() as db:
        digest = (await db.execute(select(ConsoleSession.token_hash))).scalar_one()
        stored = (await db.execute(select(User.password_hash))).scalar_one()
    text = stream.getvalue()
    assert "INSERT INTO console_sessions" in text  # the statements were logged, masked
    for secret in (PASSWORD, "wrong password!", "awa@example.org", session, digest, stored, "$argon2id$v"):
        assert secret not in text
