"""`gateway keys rotate` and `gateway keys check`, as an operator runs them: data stored under key
A, the gateway switched to key B with A as previous key, the rotation, then key B alone."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli.keys import rotate_all
from gateway.committees.models import CommitteeMember
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact
from gateway.outbox.models import OutboundMessage
from gateway.security.keys import PhoneVault
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.helpers import count
from tests.security.keyring import (
    ANONYMOUS,
    CALLER,
    KEY_B,
    KEY_UNKNOWN,
    MEMBER,
    REPORTER,
    Keyring,
    Seeded,
    seed,
    session_row,
    sms,
)

NEWCOMER = "+22670000105"  # first texts after the switch: a contact under key B only


@pytest.fixture
async def seeded(gateway: Gateway, keys: Keyring) -> Seeded:
    return await seed(keys.old)


async def gateway_command(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Runs `gateway …` in a thread (it has its own event loop); exit code and standard error."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.stderr


async def test_rotate_moves_everything_to_the_new_key(keys: Keyring, seeded: Seeded) -> None:
    rotating = keys.rotating
    # Life goes on after the switch: the reporter texts again, someone new texts, the reporter dials.
    async with rotating.sessionmaker() as db, db.begin():
        await rotating.sms.receive(db, sms(REPORTER, "Ils sont revenus ce matin"))
        await rotating.sms.receive(db, sms(NEWCOMER, "Le pont de Koloko est coupé"))
        db.add(session_row(rotating.vault.lookup_hash(REPORTER)))
    assert await count(rotating, select(func.count()).select_from(Contact)) == 2  # no second reporter

    code, err = await gateway_command(keys.env(rotating), "keys", "rotate", "--batch-size", "10")
    assert code == 0, err
    assert "contacts: 2 checked: 1 moved to the new key, 1 already under it" in err
    assert "committee_members: 1 checked: 1 moved" in err
    assert (
        "ussd_sessions: 3 checked: 1 moved to the new key, 1 already under it, 1 phone hash(es) cleared"
        in err
    )
    assert "remove GATEWAY_PREVIOUS_SECRET_KEYS" in err.splitlines()[-1]

    new = keys.new  # key B alone: the operator has removed GATEWAY_PREVIOUS_SECRET_KEYS
    async with new.sessionmaker() as db:
        for model in (Contact, CommitteeMember, OutboundMessage):
            for token, phone_hash in await db.execute(select(model.phone_encrypted, model.phone_hash)):
                if token:
                    phone = new.vault.decrypt(token)
                    assert phone_hash in ("", new.vault.lookup_hash(phone))
        for phone in (REPORTER, NEWCOMER):
            assert await find_contact(db, new.vault, phone) is not None
        member = (await db.execute(select(CommitteeMember))).scalar_one()
        assert member.phone_hash == new.vault.lookup_hash(MEMBER)
        answer = await new.notifier.member_command(
            db, new.vault.lookup_hashes(MEMBER), "info", seeded.reference
        )
        assert answer.msgid != "sms.member.unknown"
        receipt = (
            await db.execute(select(OutboundMessage).where(OutboundMessage.scrub_after_send.is_(True)))
        ).scalar_one()
        assert (new.vault.decrypt(receipt.phone_encrypted), receipt.phone_hash) == (ANONYMOUS, "")
        hashes = sorted((await db.execute(select(UssdSession.phone_hash))).scalars())
    reporter = new.vault.lookup_hash(REPORTER)
    assert hashes == sorted(["", "", reporter, reporter])
    assert keys.old.vault.lookup_hash(CALLER) not in hashes  # no contact has it: cleared, not kept

    again = await rotate_all(rotating.sessionmaker, rotating.vault)
    assert all((t.rotated, t.cleared, t.left_behind) == (0, 0, 0) for t in again.values()), again
    code, err = await gateway_command(keys.env(new), "keys", "check")
    assert code == 0, err
    assert "every stored number is under GATEWAY_SECRET_KEY" in err


async def test_check_counts_what_is_left_and_changes_nothing(keys: Keyring, seeded: Seeded) -> None:
    code, err = await gateway_command(keys.env(keys.rotating), "keys", "check")
    assert code == 1
    assert "contacts: 1 checked: 1 still under a previous key" in err
    assert (
        "ussd_sessions: 2 checked: 1 still under a previous key, 0 under the current key, "
        "1 phone hash(es) to clear (no contact has the number)"
    ) in err
    async with keys.old.sessionmaker() as db:
        found = await find_contact(db, keys.old.vault, REPORTER)  # still under key A
        assert found is not None
        assert found.id == seeded.contact_id


async def test_rotate_refuses_without_a_previous_key(keys: Keyring, gateway: Gateway) -> None:
    code, err = await gateway_command(keys.env(keys.new), "keys", "rotate")
    assert code == 2
    assert err.count("\n") == 1
    assert "GATEWAY_PREVIOUS_SECRET_KEYS" in err


async def test_rows_no_key_opens_are_reported_not_deleted(keys: Keyring, gateway: Gateway) -> None:
    unknown = PhoneVault(KEY_UNKNOWN)
    async with keys.old.sessionmaker() as db, db.begin():
        db.add(Contact(phone_hash=unknown.lookup_hash(REPORTER), phone_encrypted=unknown.encrypt(REPORTER)))
    code, err = await gateway_command(keys.env(keys.rotating), "keys", "rotate")
    assert code == 1
    assert "1 no configured key can decrypt (left as they are)" in err
    assert "not finished" in err.splitlines()[-1]
    assert await count(keys.old, select(func.count()).select_from(Contact)) == 1


async def test_a_weak_old_key_can_still_be_retired(keys: Keyring, gateway: Gateway) -> None:
    weak = "x" * 40  # taken, with a warning, so that a rotation can move away from it
    vault = PhoneVault(weak)
    async with keys.old.sessionmaker() as db, db.begin():
        db.add(Contact(phone_hash=vault.lookup_hash(REPORTER), phone_encrypted=vault.encrypt(REPORTER)))
    env = {**keys.env(keys.new), "GATEWAY_PREVIOUS_SECRET_KEYS": weak}
    code, err = await gateway_command(env, "keys", "rotate")
    assert code == 0, err
    assert "warning: GATEWAY_PREVIOUS_SECRET_KEYS key 1 is weak" in err
    assert weak not in err
    async with keys.new.sessionmaker() as db:
        contact = await find_contact(db, keys.new.vault, REPORTER)
        assert contact is not None
        assert keys.new.vault.decrypt(contact.phone_encrypted) == REPORTER


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("GATEWAY_PREVIOUS_SECRET_KEYS", KEY_B, "is GATEWAY_SECRET_KEY itself"),
        ("GATEWAY_SECRET_KEY", "a" * 40, "fewer than 8 different characters"),
    ],
)
async def test_bad_settings_fail_in_one_line(
    keys: Keyring, gateway: Gateway, setting: str, value: str, message: str
) -> None:
    code, err = await gateway_command({**keys.env(keys.new), setting: value}, "keys", "check")
    assert code == 2
    assert err.count("\n") == 1
    assert message in err
    assert setting in err
