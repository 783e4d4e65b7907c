"""The channel each contact last wrote in, for routes with `last` (reply through the same channel).

Read from the incoming SMS the gateway already keeps (`inbound_messages.provider`, a channel name),
so nothing new is stored about anyone: once retention purges a contact's messages, their routes
fall back to the rest of the rule. The name of a channel is all it gives, never a device or a
number of ours the person wrote to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.contacts.models import Contact
from gateway.sms.models import InboundMessage

# At most this many hashes per query: a claim of 500 messages during a key rotation is 1,000.
_CHUNK = 500


async def last_channels(db: AsyncSession, phone_hashes: Sequence[str]) -> dict[str, str]:
    """phone hash -> the channel of the contact's latest incoming SMS, for those who ever wrote."""
    found: dict[str, str] = {}
    unique = list(dict.fromkeys(phone_hashes))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        latest = (
            select(func.max(InboundMessage.id))
            .join(Contact, Contact.id == InboundMessage.contact_id)
            .where(Contact.phone_hash.in_(chunk))
            .group_by(InboundMessage.contact_id)
        )
        rows = await db.execute(
            select(Contact.phone_hash, InboundMessage.provider)
            .join(InboundMessage, InboundMessage.contact_id == Contact.id)
            .where(InboundMessage.id.in_(latest))
        )
        for phone_hash, provider in rows:
            found[phone_hash] = provider
    return found
