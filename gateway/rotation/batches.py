"""Key rotation: moving what is stored under GATEWAY_PREVIOUS_SECRET_KEYS to GATEWAY_SECRET_KEY.

Each function handles one batch of rows in the caller's transaction and says where the next batch
starts; the caller commits between batches, so a live system keeps answering. A row is rewritten
only when it is not under the current key already, so a second run changes nothing and an
interrupted run is finished by running it again. With `write=False` the same functions only
count (`gateway keys check`).

Rows that hold the encrypted number (contacts, committee members, outgoing SMS) are decrypted
with whichever key opens them, then encrypted and hashed with the current key. USSD sessions (and
outgoing SMS whose number was already erased) hold only a hash: it is mapped to the current
key's hash through the contacts' numbers, and cleared when no contact has that number, because a
hash under a retired key is as revealing as that key and is no use to anyone once it is retired.
Rows no configured key can decrypt are counted and left as they are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.committees.models import CommitteeMember
from gateway.contacts.models import Contact
from gateway.outbox.models import OutboundMessage
from gateway.security.keys import PhoneVault
from gateway.ussd.models import UssdSession


@dataclass
class Tally:
    """What a pass found in one table. In a dry run, `rotated` and `cleared` are what it would do."""

    checked: int = 0
    current: int = 0  # under the current key already
    rotated: int = 0  # re-encrypted and/or re-hashed with the current key
    cleared: int = 0  # phone hash erased: no contact has that number
    undecryptable: int = 0  # no configured key opens it: left as it is
    conflicts: int = 0  # another row already holds the current key's hash of the same number
    busy: int = 0  # locked by a live request during the pass: the next run takes it

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def left_behind(self) -> int:
        """Rows still under a previous (or unknown) key after this pass."""
        return self.undecryptable + self.conflicts + self.busy


@dataclass(frozen=True)
class Batch:
    tally: Tally
    next_after: int | None  # the id to go on after; None when the table is done


@dataclass(frozen=True)
class PhoneTable:
    """A table that stores the encrypted number beside its hash."""

    name: str
    model: Any
    # Columns that, with phone_hash, are unique: a re-hashed row must not collide with a twin.
    unique_with: tuple[str, ...] | None = None


CONTACTS = PhoneTable("contacts", Contact, unique_with=())
COMMITTEE_MEMBERS = PhoneTable("committee_members", CommitteeMember, unique_with=("committee_id",))
OUTBOUND_MESSAGES = PhoneTable("outbound_messages", OutboundMessage)


@dataclass
class KnownNumbers:
    """Every hash of every contact's number, under each configured key, to the current key's hash."""

    current_hash: dict[str, str] = field(default_factory=dict)


async def known_numbers(
    db: AsyncSession, vault: PhoneVault, after: int, known: KnownNumbers, *, limit: int
) -> int | None:
    """Adds one batch of contacts to `known`; returns the id to go on after, None when done."""
    rows = (
        await db.execute(
            select(Contact.id, Contact.phone_encrypted)
            .where(Contact.id > after)
            .order_by(Contact.id)
            .limit(limit)
        )
    ).all()
    for row in rows:
        try:
            phone = vault.decrypt(row.phone_encrypted)
        except ValueError:
            continue  # the contacts pass counts it; sessions with its hash stay as they are
        hashes = vault.lookup_hashes(phone)
        for old in hashes:
            known.current_hash[old] = hashes[0]
    return rows[-1].id if len(rows) == limit else None


async def rotate_phone_rows(
    db: AsyncSession,
    vault: PhoneVault,
    table: PhoneTable,
    after: int,
    *,
    known: KnownNumbers | None = None,
    write: bool = True,
    limit: int,
) -> Batch:
    """One batch of `table` moved to the current key. `known` maps the hash of rows whose number
    was erased (outgoing SMS); without it those rows are left alone."""
    model = table.model
    ids = list(
        (await db.execute(select(model.id).where(model.id > after).order_by(model.id).limit(limit))).scalars()
    )
    tally = Tally()
    if not ids:
        return Batch(tally, None)
    extra = [getattr(model, name) for name in table.unique_with or ()]
    query = select(model.id, model.phone_encrypted, model.phone_hash, *extra).where(model.id.in_(ids))
    rows = (await db.execute(_locked(query, write))).all()
    tally.checked, tally.busy = len(rows), len(ids) - len(rows)

    changes: dict[int, dict[str, Any]] = {}
    erased: dict[int, str] = {}
    for row in rows:
        if not row.phone_encrypted:
            if row.phone_hash:
                erased[row.id] = row.phone_hash
            else:
                tally.current += 1
            continue
        try:
            phone, index = vault.decrypt_with_index(row.phone_encrypted)
        except ValueError:
            tally.undecryptable += 1
            continue
        new_hash = vault.lookup_hash(phone) if row.phone_hash else ""
        if index == 0 and new_hash == row.phone_hash:
            tally.current += 1
            continue
        changes[row.id] = {
            "id": row.id,
            "phone_encrypted": row.phone_encrypted if index == 0 else vault.encrypt(phone),
            "phone_hash": new_hash,
        }

    if erased:
        mapped = await map_hashes(db, set(erased.values()), known) if known is not None else {}
        for row_id, old in erased.items():
            if old in mapped:
                changes[row_id] = {"id": row_id, "phone_hash": mapped[old]}
            else:
                tally.current += 1

    if table.unique_with is not None:
        tally.conflicts = await _drop_collisions(db, table, rows, changes)
    for change in changes.values():
        if "phone_encrypted" in change or change["phone_hash"]:
            tally.rotated += 1
        else:
            tally.cleared += 1
    if write and changes:
        await db.execute(update(model), list(changes.values()))
    return Batch(tally, ids[-1])


async def rotate_session_hashes(
    db: AsyncSession, known: KnownNumbers, after: int, *, write: bool = True, limit: int
) -> Batch:
    """One batch of USSD sessions: each phone hash mapped to the current key's, or cleared."""
    ids = list(
        (
            await db.execute(
                select(UssdSession.id)
                .where(UssdSession.id > after, UssdSession.phone_hash != "")
                .order_by(UssdSession.id)
                .limit(limit)
            )
        ).scalars()
    )
    tally = Tally()
    if not ids:
        return Batch(tally, None)
    query = select(UssdSession.id, UssdSession.phone_hash).where(
        UssdSession.id.in_(ids), UssdSession.phone_hash != ""
    )
    rows = (await db.execute(_locked(query, write))).all()
    tally.checked, tally.busy = len(rows), len(ids) - len(rows)
    mapped = await map_hashes(db, {row.phone_hash for row in rows}, known)
    changes = []
    for row in rows:
        if row.phone_hash not in mapped:
            tally.current += 1
            continue
        changes.append({"id": row.id, "phone_hash": mapped[row.phone_hash]})
        if mapped[row.phone_hash]:
            tally.rotated += 1
        else:
            tally.cleared += 1
    if write and changes:
        await db.execute(update(UssdSession), changes)
    return Batch(tally, ids[-1])


async def map_hashes(db: AsyncSession, hashes: set[str], known: KnownNumbers) -> dict[str, str]:
    """The hashes that must change, each to its current key's hash, or to "" when no contact has
    that number. A hash that is already a current one is left out."""
    mapped: dict[str, str] = {}
    unknown = set()
    for old in hashes:
        new = known.current_hash.get(old)
        if new is None:
            unknown.add(old)
        elif new != old:
            mapped[old] = new
    if unknown:
        # A contact made after `known` was built is under the current key: its hash is current.
        present = set(
            (await db.execute(select(Contact.phone_hash).where(Contact.phone_hash.in_(unknown)))).scalars()
        )
        mapped.update((old, "") for old in unknown - present)
    return mapped


async def _drop_collisions(
    db: AsyncSession, table: PhoneTable, rows: Iterable[Any], changes: dict[int, dict[str, Any]]
) -> int:
    """Leaves out (and counts) changes that would give a row the unique key another row holds:
    the same number stored twice, once under an old key and once under the current one."""
    names = table.unique_with or ()
    scope = {row.id: tuple(getattr(row, name) for name in names) for row in rows}
    new_keys = {
        row_id: (*scope[row_id], c["phone_hash"])
        for row_id, c in changes.items()
        if c["phone_hash"] and row_id in scope
    }
    if not new_keys:
        return 0
    model = table.model
    columns: list[InstrumentedAttribute[Any]] = [getattr(model, name) for name in names]
    holders = await db.execute(
        select(model.id, *columns, model.phone_hash).where(
            model.phone_hash.in_({key[-1] for key in new_keys.values()})
        )
    )
    taken: dict[tuple[Any, ...], int] = {tuple(row[1:]): row.id for row in holders}
    dropped = 0
    for row_id, key in sorted(new_keys.items()):
        holder = taken.setdefault(key, row_id)
        if holder != row_id:
            del changes[row_id]
            dropped += 1
    return dropped


def _locked(query: Any, write: bool) -> Any:
    # Rows a live request holds are skipped, never waited for: the pass cannot dead-lock with a
    # dispatcher or a USSD hop, and what it skipped is counted as busy for the next run.
    return query.with_for_update(skip_locked=True) if write else query


def total(tallies: Mapping[str, Tally]) -> Tally:
    out = Tally()
    for tally in tallies.values():
        out.add(tally)
    return out
