"""What a USSD session row may keep once it is over, and what an anonymous report leaves of it.

A live session needs its inputs, state and phone hash (the next hop, resume after a drop). An
ended one keeps only what drop-off counts need: language, last screen, outcome, the hour. The
sessions that produced an anonymous report — the one that sent it and every one it resumed —
keep nothing that leads to the phone: no phone hash, contact or resume link, no inputs, and the
provider's session id (which the provider's records tie to the phone) only as a keyed digest."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import floor_hour, utcnow
from gateway.security.pseudonyms import Pseudonyms, is_digest
from gateway.ussd.models import UssdSession

# Resumed sessions form a chain; a caller cut off again and again makes it no longer than this.
_MAX_CHAIN = 20


def end_session(row: UssdSession, pseudonyms: Pseudonyms, text: str) -> None:
    """The session is over: its answers are in the report (or were dropped). The digest of the
    last input path is enough to recognise the provider repeating the last hop."""
    row.ended_at = utcnow()
    row.state = {}
    row.last_text = pseudonyms.input_path(text)
    row.in_report = False
    _hours_only(row)


async def forget_caller(db: AsyncSession, pseudonyms: Pseudonyms, row: UssdSession) -> None:
    """`row` (ended) produced an anonymous report: it and the sessions it resumed lose every link."""
    chain: list[UssdSession] = []
    previous = row.resumed_from
    while previous is not None and len(chain) < _MAX_CHAIN:
        earlier = await db.get(UssdSession, previous)
        if earlier is None:
            break
        chain.append(earlier)
        previous = earlier.resumed_from
    for session in (row, *chain):
        session.phone_hash = ""
        session.contact_id = None
        session.resumed_from = None
        session.state = {}
        session.in_report = False
        if not is_digest(session.session_id):
            session.session_id = pseudonyms.session_id(session.session_id)
        _hours_only(session)
    for earlier in chain:
        # Their inputs and last screens held the answers that are now the report.
        earlier.last_text = ""
        earlier.last_response = ""
        earlier.outcome = earlier.outcome or "resumed"


def _hours_only(row: UssdSession) -> None:
    row.started_at = floor_hour(row.started_at or utcnow())
    row.updated_at = floor_hour(row.updated_at or utcnow())
    if row.ended_at is not None:
        row.ended_at = floor_hour(row.ended_at)
