"""Registering committees, the areas they cover and their members. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.importer import name_key
from gateway.areas.lookup import AreaLookupError, find_areas
from gateway.areas.models import Area
from gateway.audit.service import Actor, record_by
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember
from gateway.committees.schedule import parse_schedule
from gateway.db.base import utcnow
from gateway.i18n.languages import LANGUAGES
from gateway.reports.models import ReportEvent
from gateway.security.keys import PhoneVault
from gateway.security.phone import mask, to_e164


class CommitteeError(ValueError):
    """Bad input from an organiser, said plainly, with the field it is about; `code` names the
    problem for callers that say it in another language (the console's French)."""

    def __init__(self, message: str, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


NAME_MAX = 120


async def create_committee(
    db: AsyncSession, name: str, area_names: list[str], schedule: str, timezone: str
) -> Committee:
    """A committee over areas given by name (the API, the CLI)."""

    async def by_name() -> list[Area]:
        try:
            return await find_areas(db, area_names)
        except AreaLookupError as exc:
            raise CommitteeError(str(exc), "areas", "unknown_area") from None

    return await _create(db, name, by_name, schedule, timezone)


async def create_committee_over(
    db: AsyncSession, name: str, area_ids: list[int], schedule: str, timezone: str
) -> Committee:
    """A committee over areas picked by id (the console's check boxes): the same checks, in the
    same order, as `create_committee`."""

    async def by_id() -> list[Area]:
        wanted = set(area_ids)
        found = list(
            (
                await db.execute(select(Area).where(Area.id.in_(sorted(wanted)), Area.active.is_(True)))
            ).scalars()
        )
        if len(found) != len(wanted):
            raise CommitteeError("unknown area", "areas", "unknown_area")
        return found

    return await _create(db, name, by_id, schedule, timezone)


async def _create(
    db: AsyncSession,
    name: str,
    areas_of: Callable[[], Awaitable[list[Area]]],
    schedule: str,
    timezone: str,
) -> Committee:
    name = " ".join(name.split())
    if not name:
        raise CommitteeError("a committee needs a name", "name", "name_missing")
    if len(name) > NAME_MAX:
        raise CommitteeError(f"a committee name has at most {NAME_MAX} characters", "name", "name_long")
    if (await db.execute(select(Committee).where(Committee.name == name))).scalar_one_or_none():
        raise CommitteeError(f"a committee named {name!r} exists already", "name", "name_taken")
    parsed = parse_schedule(schedule, timezone)
    areas = await areas_of()
    if not areas:
        raise CommitteeError("a committee needs at least one area", "", "no_area")
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
        raise CommitteeError(f"a member's name has 1 to {NAME_MAX} characters", "name", "member_name")
    if len(member.role) > 64:
        raise CommitteeError("a member's role has at most 64 characters", "role", "role_long")
    if member.language not in LANGUAGES:
        raise CommitteeError(
            f"unknown language {member.language!r} (fr, bm, dyu, mos)", "language", "language"
        )
    try:
        e164 = to_e164(member.phone, region)
    except ValueError:
        raise CommitteeError(f"not a phone number: {member.phone!r}", "phone", "phone") from None
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
        raise CommitteeError("this number is already a member of the committee", "phone", "phone_taken")
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


async def committee_member(db: AsyncSession, committee_id: int, member_id: int) -> CommitteeMember:
    """A member of this committee (a member id of another committee is no member of this one)."""
    member = await db.get(CommitteeMember, member_id)
    if member is None or member.committee_id != committee_id:
        raise CommitteeError("no such member in this committee", "member", "no_member")
    return member


async def set_member_wishes(
    db: AsyncSession, member: CommitteeMember, *, summaries: bool, alerts: bool, by: Actor
) -> list[str]:
    """What a member receives: summaries, urgent alerts, both or neither (a member who is away
    keeps their place without being written to). Returns what changed, recorded in the audit log."""
    changed = [
        f"{what} {'on' if wanted else 'off'}"
        for what, now, wanted in (
            ("summaries", member.receives_summaries, summaries),
            ("alerts", member.receives_alerts, alerts),
        )
        if now != wanted
    ]
    member.receives_summaries, member.receives_alerts = summaries, alerts
    if changed:
        detail = f"committee {member.committee_id}: member #{member.id}: {', '.join(changed)}"
        record_by(db, by, "committees.member_update", detail, 1)
    return changed


async def remove_member(db: AsyncSession, member: CommitteeMember, *, by: Actor) -> None:
    """The member is deleted with their encrypted number: nothing of it is kept once they leave.
    Messages already queued to them still go (the outbox holds its own copy of the number)."""
    record_by(db, by, "committees.member_remove", f"committee {member.committee_id}: member #{member.id}", 1)
    # Their acknowledgements stay in the reports' history, under the name they had (`actor`).
    await db.execute(update(ReportEvent).where(ReportEvent.member_id == member.id).values(member_id=None))
    await db.execute(delete(CommitteeMember).where(CommitteeMember.id == member.id))


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


async def committee_areas(db: AsyncSession, committee_id: int) -> list[Area]:
    """The areas a committee covers, as chosen (a cercle stays a cercle), by name."""
    return list(
        (
            await db.execute(
                select(Area)
                .join(CommitteeArea, CommitteeArea.area_id == Area.id)
                .where(CommitteeArea.committee_id == committee_id)
                .order_by(Area.name)
            )
        ).scalars()
    )


async def committee_members(db: AsyncSession, committee_id: int) -> list[CommitteeMember]:
    """A committee's members in the order they were added."""
    return list(
        (
            await db.execute(
                select(CommitteeMember)
                .where(CommitteeMember.committee_id == committee_id)
                .order_by(CommitteeMember.id)
            )
        ).scalars()
    )


def masked_number(vault: PhoneVault, member: CommitteeMember) -> str:
    """A member's number as people may see it: enough to tell two apart, not to call one."""
    return mask(vault.decrypt(member.phone_encrypted))
