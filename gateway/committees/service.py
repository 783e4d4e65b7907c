"""Registering committees, the areas they cover and their members. Callers own the transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.importer import name_key
from gateway.areas.lookup import AreaLookupError, find_areas
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember
from gateway.committees.schedule import parse_schedule
from gateway.db.base import utcnow
from gateway.i18n.languages import LANGUAGES
from gateway.security.keys import PhoneVault
from gateway.security.phone import to_e164


class CommitteeError(ValueError):
    """Bad input from an organiser, said plainly, with the field it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


NAME_MAX = 120


async def create_committee(
    db: AsyncSession, name: str, area_names: list[str], schedule: str, timezone: str
) -> Committee:
    name = " ".join(name.split())
    if not name:
        raise CommitteeError("a committee needs a name", "name")
    if len(name) > NAME_MAX:
        raise CommitteeError(f"a committee name has at most {NAME_MAX} characters", "name")
    if (await db.execute(select(Committee).where(Committee.name == name))).scalar_one_or_none():
        raise CommitteeError(f"a committee named {name!r} exists already", "name")
    parsed = parse_schedule(schedule, timezone)
    try:
        areas = await find_areas(db, area_names)
    except AreaLookupError as exc:
        raise CommitteeError(str(exc), "areas") from None
    if not areas:
        raise CommitteeError("a committee needs at least one area")
    committee = Committee(
        name=name, schedule=schedule, timezone=timezone, next_digest_at=parsed.next_after(utcnow())
    )
    db.add(committee)
    await db.flush()
    for area in {a.id: a for a in areas}.values():
        db.add(CommitteeArea(committee_id=committee.id, area_id=area.id))
    return committee


@dataclass(frozen=True)
class NewMember:
    name: str
    phone: str
    language: str
    role: str = ""
    summaries: bool = True
    alerts: bool = True


async def add_member(
    db: AsyncSession, vault: PhoneVault, committee: Committee, member: NewMember, region: str
) -> CommitteeMember:
    name = " ".join(member.name.split())
    if not name or len(name) > NAME_MAX:
        raise CommitteeError(f"a member's name has 1 to {NAME_MAX} characters", "name")
    if len(member.role) > 64:
        raise CommitteeError("a member's role has at most 64 characters", "role")
    if member.language not in LANGUAGES:
        raise CommitteeError(f"unknown language {member.language!r} (fr, bm, dyu, mos)", "language")
    try:
        e164 = to_e164(member.phone, region)
    except ValueError:
        raise CommitteeError(f"not a phone number: {member.phone!r}", "phone") from None
    # During a key rotation the member may be stored under an old key's hash.
    exists = await db.execute(
        select(CommitteeMember.id)
        .where(
            CommitteeMember.committee_id == committee.id,
            CommitteeMember.phone_hash.in_(vault.lookup_hashes(e164)),
        )
        .limit(1)
    )
    if exists.scalar_one_or_none() is not None:
        raise CommitteeError("this number is already a member of the committee", "phone")
    row = CommitteeMember(
        committee_id=committee.id,
        name=name,
        role=member.role,
        phone_hash=vault.lookup_hash(e164),
        phone_encrypted=vault.encrypt(e164),
        language=member.language,
        receives_summaries=member.summaries,
        receives_alerts=member.alerts,
    )
    db.add(row)
    return row


async def committee_by_name(db: AsyncSession, name: str) -> Committee:
    """A committee by its name folded as area names are (case, accents, spaces and dashes aside).
    The name exactly as stored wins, so each of two names that fold alike can still be reached."""
    exact = (await db.execute(select(Committee).where(Committee.name == name))).scalar_one_or_none()
    if exact is not None:
        return exact
    key = name_key(name)
    committees = (await db.execute(select(Committee).order_by(Committee.name))).scalars().all()
    matches = [c for c in committees if key and name_key(c.name) == key]
    if not matches:
        raise CommitteeError(f"no committee named {name!r}")
    if len(matches) > 1:
        names = "; ".join(repr(c.name) for c in matches)
        raise CommitteeError(f"committee {name!r} is ambiguous: write its name exactly, one of {names}")
    return matches[0]


async def committee_area_ids(db: AsyncSession, committee_id: int) -> list[int]:
    return list(
        (
            await db.execute(select(CommitteeArea.area_id).where(CommitteeArea.committee_id == committee_id))
        ).scalars()
    )
