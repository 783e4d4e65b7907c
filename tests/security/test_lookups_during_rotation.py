"""After GATEWAY_SECRET_KEY changes (the old key in GATEWAY_PREVIOUS_SECRET_KEYS) and before
`gateway keys rotate` has run, every lookup of a stored number still finds its row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.committees.service import CommitteeError, NewMember, add_member
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact, get_or_create_contact
from gateway.outbox.delivery import DeliveryReport, record_delivery
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.models import OutboundMessage
from gateway.outbox.provider import RecipientResult
from gateway.sms.models import InboundMessage
from gateway.wiring import Gateway
from tests.helpers import count
from tests.security.keyring import MEMBER, REPORTER, Keyring, Seeded, committee, seed, sms


@pytest.fixture
async def seeded(gateway: Gateway, keys: Keyring) -> Seeded:
    return await seed(keys.old)


async def test_the_contact_is_found_and_no_second_one_is_made(keys: Keyring, seeded: Seeded) -> None:
    rotating = keys.rotating
    async with rotating.sessionmaker() as db, db.begin():
        found = await find_contact(db, rotating.vault, REPORTER)
        assert found is not None
        assert found.id == seeded.contact_id
        assert (await get_or_create_contact(db, rotating.vault, REPORTER)).id == seeded.contact_id
        inbound = await rotating.sms.receive(db, sms(REPORTER, "Ils sont revenus ce matin"))
        assert inbound is not None
        assert inbound.contact_id == seeded.contact_id
    assert await count(rotating, select(func.count()).select_from(Contact)) == 1
    assert await count(rotating, select(func.count(func.distinct(InboundMessage.contact_id)))) == 1


async def test_a_new_contact_is_written_under_the_new_key(keys: Keyring, seeded: Seeded) -> None:
    async with keys.rotating.sessionmaker() as db, db.begin():
        contact = await get_or_create_contact(db, keys.rotating.vault, "+22376000199")
    assert contact.phone_hash == keys.new.vault.lookup_hash("+22376000199")
    assert keys.new.vault.decrypt(contact.phone_encrypted) == "+22376000199"


async def test_a_member_stored_under_the_old_key_is_still_a_member(keys: Keyring, seeded: Seeded) -> None:
    rotating = keys.rotating
    found = await committee(rotating, seeded.committee_id)
    async with rotating.sessionmaker() as db, db.begin():
        with pytest.raises(CommitteeError, match="already a member"):
            await add_member(db, rotating.vault, found, NewMember("Maire", MEMBER, "fr"), "ML")
        answer = await rotating.notifier.member_command(
            db, rotating.vault.lookup_hashes(MEMBER), "info", seeded.reference
        )
    assert answer.msgid != "sms.member.unknown"


async def test_a_member_command_by_sms_reaches_the_member(keys: Keyring, seeded: Seeded) -> None:
    rotating = keys.rotating
    async with rotating.sessionmaker() as db, db.begin():
        inbound = await rotating.sms.receive(db, sms(MEMBER, f"INFO {seeded.reference}"))
        assert inbound is not None
        assert inbound.intent == "info"
    unknown = rotating.engine.catalogs.translator("fr").gettext("sms.member.unknown")
    async with rotating.sessionmaker() as db:
        bodies = (
            await db.execute(select(OutboundMessage.body).where(OutboundMessage.kind == "reply"))
        ).scalars()
        assert unknown not in list(bodies)


class OptedOut:
    """A provider for which every number has opted out (AT's 406 UserInBlacklist)."""

    name, max_recipients = "opted-out", 100

    def __init__(self) -> None:
        self.sent_to: list[str] = []

    async def send(self, body: str, recipients: list[str]) -> list[RecipientResult]:
        self.sent_to += recipients
        return [RecipientResult(p, "permanent", "UserInBlacklist", opted_out=True) for p in recipients]


async def test_the_dispatcher_sends_old_messages_and_opts_out_old_contacts(
    keys: Keyring, seeded: Seeded
) -> None:
    rotating = keys.rotating
    async with rotating.sessionmaker() as db, db.begin():
        await rotating.outbox.enqueue(db, phone=REPORTER, text="Réponse", language="fr", kind="reply")
    provider = OptedOut()
    settings = rotating.settings.model_copy(update={"sms_rate_per_s": 0})
    await Dispatcher(rotating.sessionmaker, provider, rotating.vault, settings).dispatch_once()
    assert MEMBER in provider.sent_to  # queued under key A, decrypted with the previous key
    async with rotating.sessionmaker() as db:
        contact = await db.get(Contact, seeded.contact_id)
        assert contact is not None
        assert contact.opted_out_at is not None


async def test_a_delivery_report_opt_out_finds_a_contact_under_the_old_key(
    keys: Keyring, seeded: Seeded
) -> None:
    rotating = keys.rotating
    async with rotating.sessionmaker() as db, db.begin():
        message = await rotating.outbox.enqueue(
            db, phone=REPORTER, text="Réponse", language="fr", kind="reply"
        )
        message.provider_message_id = "ATXid_rotation"
    async with rotating.sessionmaker() as db, db.begin():
        report = DeliveryReport("ATXid_rotation", "Rejected", "failed", "UserInBlacklist", opted_out=True)
        assert await record_delivery(db, report, rotating.vault)
    async with rotating.sessionmaker() as db:
        contact = await db.get(Contact, seeded.contact_id)
        assert contact is not None
        assert contact.opted_out_at is not None


async def test_without_previous_keys_old_rows_are_not_found(keys: Keyring, seeded: Seeded) -> None:
    # What the rotation protects against: the new key alone neither finds nor opens them.
    async with keys.new.sessionmaker() as db:
        assert await find_contact(db, keys.new.vault, REPORTER) is None
        contact = await db.get(Contact, seeded.contact_id)
        assert contact is not None
        with pytest.raises(ValueError, match="cannot be decrypted"):
            keys.new.vault.decrypt(contact.phone_encrypted)
