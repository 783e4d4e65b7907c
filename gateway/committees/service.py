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


# The areas a committee is to cover, found when the other fields have passed their checks.
AreasOf = Callable[[], Awaitable[list[Area]]]


def areas_named(db: AsyncSession, area_names: list[str]) -> AreasOf:
    """Areas given by name (the API, the CLI): 'cercle:Kadiolo', 'Kourouma, Kénédougou'."""

    async def by_name() -> list[Area]:
        try:
            return await find_areas(db, area_names)
        except AreaLookupError as exc:
            raise CommitteeError(str(exc), "areas", "unknown_area") from None

    return by_name


def areas_picked(db: AsyncSession, area_ids: list[int]) -> AreasOf:
    """Areas picked by id (the console's check boxes); one unknown or retired is refused."""

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

    return by_id


async def create_committee(
    db: AsyncSession, name: str, area_names: list[str], schedule: str, timezone: str
) -> Committee:
    """A committee over areas given by name (the API, the CLI)."""
    return await _create(db, name, areas_named(db, area_names), schedule, timezone)


async def create_committee_over(
    db: AsyncSession, name: str, area_ids: list[int], schedule: str, timezone: str
) -> Committee:
    """A committee over areas picked by id (the console's check boxes): the same checks, in the
    same order, as `create_committee`."""
    return await _create(db, name, areas_picked(db, area_ids), schedule, timezone)


async def _committee_name(db: AsyncSession, name: str, committee_id: int | None = None) -> str:
    """`name` as stored (spaces folded), refused when empty, too long or another committee's."""
    name = " ".join(name.split())
    if not name:
        raise CommitteeError("a committee needs a name", "name", "name_missing")
    if len(name) > NAME_MAX:
        raise CommitteeError(f"a committee name has at most {NAME_MAX} characters", "name", "name_long")
    holder = (await db.execute(select(Committee.id).where(Committee.name == name))).scalar_one_or_none()
    if holder is not None and holder != committee_id:
        raise CommitteeError(f"a committee named {name!r} exists already", "name", "name_taken")
    return name


async def _areas(areas_of: AreasOf) -> list[Area]:
    """The areas found, each once, in a stable order; none is refused."""
    areas = await areas_of()
    if not areas:
        raise CommitteeError("a committee needs at least one area", "areas", "no_area")
    return sorted({a.id: a for a in areas}.values(), key=lambda a: a.id)


async def _create(
    db: AsyncSession,
    name: str,
    areas_of: AreasOf,
    schedule: str,
    timezone: str,
) -> Committee:
    name = await _committee_name(db, name)
    parsed = parse_schedule(schedule, timezone)
    areas = await _areas(areas_of)
    committee = Committee(
        name=name, schedule=schedule, timezone=timezone, next_digest_at=parsed.next_after(utcnow())
    )
    db.add(committee)
    await db.flush()
    for area in areas:
        db.add(CommitteeArea(committee_id=committee.id, area_id=area.id))
    return committee


async def committee_for_update(db: AsyncSession, committee_id: int) -> Committee | None:
    """The committee, its row locked until the caller's transaction ends: a change waits for a
    summary being sent (and the scheduler skips the committee while it is changed), and two
    organisers' changes of one committee come one after the other."""
    query = select(Committee).where(Committee.id == committee_id).with_for_update()
    found = await db.execute(query.execution_options(populate_existing=True))
    return found.scalar_one_or_none()


async def change_committee(
    db: AsyncSession,
    committee: Committee,
    *,
    name: str | None = None,
    areas_of: AreasOf | None = None,
    by: Actor,
) -> list[str]:
    """A new name and/or new areas (None: unchanged), checked as a new committee's are. Returns
    what changed, recorded in the audit log.

    Everything that follows a committee's areas reads them when it acts: the urgent alerts and
    who may answer them, the placeless alerts, the summaries (the next one counts the communes it
    covers when it goes out, over its whole period), what its members read in the console and
    through its API tokens. Nothing already sent or recorded is touched."""
    changed: list[str] = []
    if name is not None:
        new_name = await _committee_name(db, name, committee.id)
        if new_name != committee.name:
            changed.append(f"name {committee.name!r} -> {new_name!r}")
            committee.name = new_name
    if areas_of is not None:
        changed.extend(await _set_areas(db, committee, await _areas(areas_of)))
    if changed:
        record_by(db, by, "committees.update", f"committee {committee.id}: {'; '.join(changed)}", 1)
    return changed


async def _set_areas(db: AsyncSession, committee: Committee, areas: list[Area]) -> list[str]:
    before = {a.id: a for a in await committee_areas(db, committee.id)}
    wanted = {a.id: a for a in areas}
    gone = [before[i] for i in sorted(set(before) - set(wanted))]
    if gone:
        await db.execute(
            delete(CommitteeArea).where(
                CommitteeArea.committee_id == committee.id,
                CommitteeArea.area_id.in_([a.id for a in gone]),
            )
        )
    new = [wanted[i] for i in sorted(set(wanted) - set(before))]
    for area in new:
        db.add(CommitteeArea(committee_id=committee.id, area_id=area.id))
    said = []
    if new:
        said.append("areas added " + ", ".join(f"{a.name} (#{a.id})" for a in new))
    if gone:
        said.append("areas removed " + ", ".join(f"{a.name} (#{a.id})" for a in gone))
    return said


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
    _check_language(member.language)
    e164 = await _free_number(db, vault, committee.id, member.phone, region)
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


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise CommitteeError(f"unknown language {language!r} (fr, bm, dyu, mos)", "language", "language")


async def _free_number(
    db: AsyncSession,
    vault: PhoneVault,
    committee_id: int,
    phone: str,
    region: str,
    member_id: int | None = None,
) -> str:
    """`phone` in E.164, refused when it is no number or already that of a member of the committee
    other than `member_id`."""
    try:
        e164 = to_e164(phone, region)
    except ValueError:
        raise CommitteeError(f"not a phone number: {phone!r}", "phone", "phone") from None
    # During a key rotation the member may be stored under an old key's hash.
    query = select(CommitteeMember.id).where(
        CommitteeMember.committee_id == committee_id,
        CommitteeMember.phone_hash.in_(vault.lookup_hashes(e164)),
    )
    if member_id is not None:
        query = query.where(CommitteeMember.id != member_id)
    if (await db.execute(query.limit(1))).scalar_one_or_none() is not None:
        raise CommitteeError("this number is already a member of the committee", "phone", "phone_taken")
    return e164


async def committee_member(db: AsyncSession, committee_id: int, member_id: int) -> CommitteeMember:
    """A member of this committee (a member id of another committee is no member of this one)."""
    member = await db.get(CommitteeMember, member_id)
    if member is None or member.committee_id != committee_id:
        raise CommitteeError("no such member in this committee", "member", "no_member")
    return member


@dataclass(frozen=True)
class MemberChange:
    """What changes about a member; None leaves a thing as it is."""

    language: str | None = None
    phone: str | None = None
    summaries: bool | None = None
    alerts: bool | None = None


async def change_member(
    db: AsyncSession,
    vault: PhoneVault,
    member: CommitteeMember,
    change: MemberChange,
    region: str,
    *,
    by: Actor,
) -> list[str]:
    """A member's language, number and what they receive, each checked as `add_member` checks it.
    Returns what changed, recorded in the audit log; a new number is said to have changed, never
    written. From then on alerts and summaries go to the new number in the new language, and
    `OK R-…` is taken from the new number only; messages queued before still go as they were."""
    if change.language is not None:
        _check_language(change.language)
    e164 = None
    if change.phone is not None:
        e164 = await _free_number(db, vault, member.committee_id, change.phone, region, member.id)
    # Everything checked: only now is anything changed.
    changed: list[str] = []
    if change.language is not None and change.language != member.language:
        changed.append(f"language {member.language} -> {change.language}")
        member.language = change.language
    # Compared by keyed hashes (any key's, during a rotation): the stored number is not decrypted.
    if e164 is not None and member.phone_hash not in vault.lookup_hashes(e164):
        changed.append("number changed")
        member.phone_hash, member.phone_encrypted = vault.lookup_hash(e164), vault.encrypt(e164)
    changed.extend(_set_wishes(member, change.summaries, change.alerts))
    _record_member_change(db, by, member, changed)
    return changed


async def set_member_wishes(
    db: AsyncSession, member: CommitteeMember, *, summaries: bool, alerts: bool, by: Actor
) -> list[str]:
    """What a member receives: summaries, urgent alerts, both or neither (a member who is away
    keeps their place without being written to). Returns what changed, recorded in the audit log."""
    changed = _set_wishes(member, summaries, alerts)
    _record_member_change(db, by, member, changed)
    return changed


def _set_wishes(member: CommitteeMember, summaries: bool | None, alerts: bool | None) -> list[str]:
    changed = [
        f"{what} {'on' if wanted else 'off'}"
        for what, now, wanted in (
            ("summaries", member.receives_summaries, summaries),
            ("alerts", member.receives_alerts, alerts),
        )
        if wanted is not None and now != wanted
    ]
    if summaries is not None:
        member.receives_summaries = summaries
    if alerts is not None:
        member.receives_alerts = alerts
    return changed


def _record_member_change(db: AsyncSession, by: Actor, member: CommitteeMember, changed: list[str]) -> None:
    if changed:
        detail = f"committee {member.committee_id}: member #{member.id}: {', '.join(changed)}"
        record_by(db, by, "committees.member_update", detail, 1)


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
