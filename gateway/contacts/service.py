"""Contacts: found by the keyed hash of their number, created on first use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.contacts.models import Contact
from gateway.security.keys import PhoneVault


async def find_contact(session: AsyncSession, vault: PhoneVault, e164: str) -> Contact | None:
    # Under every configured key: during a key rotation the contact may still be under an old one.
    result = await session.execute(
        select(Contact).where(Contact.phone_hash.in_(vault.lookup_hashes(e164))).order_by(Contact.id).limit(1)
    )
    return result.scalar_one_or_none()


async def get_or_create_contact(session: AsyncSession, vault: PhoneVault, e164: str) -> Contact:
    existing = await find_contact(session, vault, e164)
    if existing is not None:
        return existing
    # New rows are always under the current key; `gateway keys rotate` moves the old ones.
    contact = Contact(phone_hash=vault.lookup_hash(e164), phone_encrypted=vault.encrypt(e164))
    try:
        async with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # Another request created it between our SELECT and INSERT.
        found = await find_contact(session, vault, e164)
        assert found is not None
        return found
    return contact
