"""The rotation passes themselves: batches, twins, rows no key opens, erased numbers, dry runs,
rows a live request holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.cli.keys import rotate_all
from gateway.committees.models import CommitteeMember
from gateway.committees.service import create_committee
from gateway.contacts.models import Contact
from gateway.outbox.models import OutboundMessage
from gateway.rotation.batches import Tally, total
from gateway.security.keys import PhoneVault
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway
from tests.security.keyring import (
    CALLER,
    KEY_UNKNOWN,
    MEMBER,
    REPORTER,
    Keyring,
    Seeded,
    seed,
    session_row,
)


@pytest.fixture
async def seeded(gateway: Gateway, keys: Keyring) -> Seeded:
    return await seed(keys.old)


async def rotate(keys: Keyring, *, write: bool = True, batch_size: int = 300) -> dict[str, Tally]:
    return await rotate_all(keys.rotating.sessionmaker, keys.rotating.vault, batch_size, write=write)


async def add_contact(gateway: Gateway, vault: PhoneVault, phone: str) -> int:
    async with gateway.sessionmaker() as db, db.begin():
        contact = Contact(phone_hash=vault.lookup_hash(phone), phone_encrypted=vault.encrypt(phone))
        db.add(contact)
        await db.flush()
        return contact.id


async def snapshot(gateway: Gateway) -> list[tuple[str, int, str, str]]:
    rows = []
    async with gateway.sessionmaker() as db:
        for model in (Contact, CommitteeMember, OutboundMessage):
            for row in await db.execute(select(model.id, model.phone_encrypted, model.phone_hash)):
                rows.append((model.__tablename__, row.id, row.phone_encrypted, row.phone_hash))
        for row in await db.execute(select(UssdSession.id, UssdSession.phone_hash)):
            rows.append(("ussd_sessions", row.id, "", row.phone_hash))
    return sorted(rows)


async def test_a_dry_run_counts_and_changes_nothing(keys: Keyring, seeded: Seeded) -> None:
    before = await snapshot(keys.old)
    tallies = await rotate(keys, write=False)
    assert await snapshot(keys.old) == before
    assert (tallies["contacts"].rotated, tallies["committee_members"].rotated) == (1, 1)
    assert tallies["outbound_messages"].rotated == 3  # the receipt, the alert, the anonymous receipt
    assert (tallies["ussd_sessions"].rotated, tallies["ussd_sessions"].cleared) == (1, 1)


async def test_small_batches_reach_every_row(keys: Keyring, gateway: Gateway) -> None:
    phones = [f"+2237600020{i}" for i in range(7)]
    for phone in phones:
        await add_contact(keys.old, keys.old.vault, phone)
    tallies = await rotate(keys, batch_size=2)
    assert (tallies["contacts"].checked, tallies["contacts"].rotated) == (7, 7)
    async with keys.new.sessionmaker() as db:
        stored = {c.phone_hash: c.phone_encrypted for c in (await db.execute(select(Contact))).scalars()}
    assert set(stored) == {keys.new.vault.lookup_hash(p) for p in phones}
    assert {keys.new.vault.decrypt(token) for token in stored.values()} == set(phones)


async def test_a_twin_under_the_new_key_is_reported_not_merged(keys: Keyring, gateway: Gateway) -> None:
    # The same number stored under both keys: the new key was used before the old one was listed.
    old_id = await add_contact(keys.old, keys.old.vault, REPORTER)
    new_id = await add_contact(keys.new, keys.new.vault, REPORTER)
    tallies = await rotate(keys)
    contacts = tallies["contacts"]
    assert (contacts.conflicts, contacts.rotated, contacts.current) == (1, 0, 1)
    async with keys.old.sessionmaker() as db:
        old = await db.get(Contact, old_id)
        assert old is not None
        assert old.phone_hash == keys.old.vault.lookup_hash(REPORTER)
        assert await db.get(Contact, new_id) is not None


async def test_twin_members_clash_only_within_one_committee(keys: Keyring, seeded: Seeded) -> None:
    async with keys.old.sessionmaker() as db, db.begin():
        other = await create_committee(db, "Comité voisin", ["Zégoua"], "weekly mon 08:00", "Africa/Bamako")
        for committee_id in (seeded.committee_id, other.id):
            db.add(
                CommitteeMember(
                    committee_id=committee_id,
                    name="Maire de Zégoua",
                    phone_hash=keys.new.vault.lookup_hash(MEMBER),
                    phone_encrypted=keys.new.vault.encrypt(MEMBER),
                    language="fr",
                )
            )
    tallies = await rotate(keys)
    members = tallies["committee_members"]
    assert (members.checked, members.conflicts, members.current, members.rotated) == (3, 1, 2, 0)


async def test_rows_no_key_opens_are_reported_and_kept(keys: Keyring, gateway: Gateway) -> None:
    unknown = PhoneVault(KEY_UNKNOWN)
    contact_id = await add_contact(keys.old, unknown, REPORTER)
    tallies = await rotate(keys)
    assert tallies["contacts"].undecryptable == 1
    assert total(tallies).left_behind == 1
    async with keys.old.sessionmaker() as db:
        contact = await db.get(Contact, contact_id)
        assert contact is not None
        assert unknown.decrypt(contact.phone_encrypted) == REPORTER


async def test_an_erased_messages_hash_is_mapped_or_cleared(keys: Keyring, seeded: Seeded) -> None:
    async with keys.old.sessionmaker() as db, db.begin():
        for phone in (REPORTER, CALLER):  # a contact's number, and one no contact has
            message = await keys.old.outbox.enqueue(db, phone=phone, text="Sent", language="fr", kind="reply")
            message.status, message.phone_encrypted = "sent", ""
    await rotate(keys)
    async with keys.new.sessionmaker() as db:
        rows = (
            await db.execute(select(OutboundMessage.phone_hash).where(OutboundMessage.phone_encrypted == ""))
        ).scalars()
        assert sorted(rows) == sorted(["", keys.new.vault.lookup_hash(REPORTER)])


async def test_a_session_of_a_contact_made_during_the_rotation_keeps_its_hash(
    keys: Keyring, gateway: Gateway
) -> None:
    # Made under the new key after the map of numbers was built: its hash is current, not unknown.
    async with keys.rotating.sessionmaker() as db, db.begin():
        db.add(session_row(keys.new.vault.lookup_hash(REPORTER)))
    await add_contact(keys.rotating, keys.rotating.vault, REPORTER)
    tallies = await rotate(keys)
    assert (tallies["ussd_sessions"].current, tallies["ussd_sessions"].cleared) == (1, 0)


async def test_rows_a_live_request_holds_are_skipped_and_taken_next_time(
    keys: Keyring, seeded: Seeded
) -> None:
    if keys.old.settings.is_sqlite:
        pytest.skip("SQLite locks the whole database for a write: no single row is ever held")
    async with keys.rotating.sessionmaker() as held, held.begin():
        await held.execute(select(Contact).where(Contact.id == seeded.contact_id).with_for_update())
        tallies = await rotate(keys)
        assert (tallies["contacts"].busy, tallies["contacts"].rotated) == (1, 0)
        assert total(tallies).left_behind == 1
    tallies = await rotate(keys)
    assert (tallies["contacts"].rotated, tallies["contacts"].busy) == (1, 0)
