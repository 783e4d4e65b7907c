"""Two secret keys and the gateways a key rotation goes through, on the test database:
`old` (key A), `rotating` (key B, with A as previous key) and `new` (key B alone).
Also `seed`: something of everything that stores a phone number, written under key A."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from gateway.committees.models import Committee
from gateway.committees.service import NewMember, add_member, create_committee
from gateway.config import Settings
from gateway.reports.models import Report
from gateway.sms.service import IncomingSms
from gateway.ussd.models import UssdSession
from gateway.wiring import Gateway

# Shaped like what `make dev-key` makes (secrets.token_urlsafe(48)); fixed, so a failure replays.
KEY_A = "q3Zr8GHbW0pV2nJxK5tL7uYc1dFs9eAm4oIhTgRwXvBy6CkDjNlPiQfEaUzS0bMt"
KEY_B = "Lk7Hc2VnQ9sXw4RbJ1mTz6yPg8aUd3fKe0iNoBhCjWvGxYrSlMqEpIuOtZ5DnAF"
KEY_UNKNOWN = "r4Ng9TbK2wHx7PmZc1QvJ8sLy3DfUe6nXo0aGiSjBtWkRhClMpNqEuYzIdVFAO5"

REPORTER = "+22376000101"  # texts a report: a contact
MEMBER = "+22376000102"  # a committee member, never a contact
CALLER = "+22676000103"  # dialled and hung up at once: a USSD session, no contact
ANONYMOUS = "+22376000104"  # an anonymous report's receipt: kept without a hash, erased once sent

_ids = itertools.count()


@dataclass
class Keyring:
    old: Gateway
    rotating: Gateway
    new: Gateway

    def env(self, gateway: Gateway) -> dict[str, str]:
        """The environment that makes the `gateway` command see what `gateway` sees."""
        return {
            "GATEWAY_DATABASE_URL": gateway.settings.database_url,
            "GATEWAY_SECRET_KEY": gateway.settings.secret_key or "",
            "GATEWAY_PREVIOUS_SECRET_KEYS": gateway.settings.previous_secret_keys,
            "GATEWAY_LOG_LEVEL": "WARNING",
        }


@asynccontextmanager
async def keyring(settings: Settings) -> AsyncIterator[Keyring]:
    gateways = [
        Gateway.build(settings.model_copy(update={"secret_key": key, "previous_secret_keys": previous}))
        for key, previous in ((KEY_A, ""), (KEY_B, KEY_A), (KEY_B, ""))
    ]
    try:
        yield Keyring(*gateways)
    finally:
        for built in gateways:
            await built.close()


@dataclass(frozen=True)
class Seeded:
    contact_id: int
    committee_id: int
    reference: str


def sms(phone: str, text: str) -> IncomingSms:
    return IncomingSms(provider="africastalking", external_id=f"key-sms-{next(_ids)}", phone=phone, text=text)


def session_row(phone_hash: str) -> UssdSession:
    return UssdSession(
        session_id=f"ATUid_keys_{next(_ids)}", provider="africastalking", phone_hash=phone_hash, state={}
    )


async def seed(old: Gateway) -> Seeded:
    """A reporter's contact, report and receipt (through the SMS service), a committee member, an
    alert waiting in the outbox, an anonymous receipt, and USSD sessions: all under key A."""
    async with old.sessionmaker() as db, db.begin():
        inbound = await old.sms.receive(db, sms(REPORTER, "Des hommes armés ont bloqué la route de Zégoua"))
        assert inbound is not None
        assert inbound.contact_id is not None
        assert inbound.report_id is not None
        report = await db.get(Report, inbound.report_id)
        assert report is not None
        committee = await create_committee(
            db, "Comité des clés", ["Zégoua"], "weekly mon 08:00", "Africa/Bamako"
        )
        await add_member(db, old.vault, committee, NewMember("Maire de Zégoua", MEMBER, "fr"), "ML")
        await old.outbox.enqueue(db, phone=MEMBER, text="Alerte: R-TEST", language="fr", kind="alert")
        await old.outbox.enqueue(
            db, phone=ANONYMOUS, text="Reçu R-ANON", language="fr", kind="receipt", scrub_after_send=True
        )
        db.add(session_row(old.vault.lookup_hash(REPORTER)))
        db.add(session_row(old.vault.lookup_hash(CALLER)))
        db.add(session_row(""))  # an anonymous reporter's session keeps no hash
        await db.flush()
        return Seeded(inbound.contact_id, committee.id, report.reference)


async def committee(gateway: Gateway, committee_id: int) -> Committee:
    async with gateway.sessionmaker() as db:
        found = await db.get(Committee, committee_id)
        assert found is not None
        return found
