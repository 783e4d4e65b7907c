"""`gateway keys rotate|check`: moving stored phone numbers from old secret keys to the current one.

The passes commit a batch at a time (gateway/security/rotation.py holds what one batch does), so
the gateway can keep serving while they run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import typer

from gateway.cli.common import database, err, run, settings_or_exit
from gateway.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from gateway.db.engine import SessionMaker
    from gateway.rotation.batches import Batch, KnownNumbers, PhoneTable, Tally
    from gateway.security.keys import PhoneVault

# Rows per transaction: small enough that a live system's requests barely wait on a batch.
BATCH_SIZE = 300
BatchStep = Callable[["AsyncSession", int], Awaitable["Batch"]]

app = typer.Typer(no_args_is_help=True, help="Secret key rotation (GATEWAY_PREVIOUS_SECRET_KEYS).")


@app.command("rotate")
def rotate(
    batch_size: int = typer.Option(BATCH_SIZE, min=10, max=5000, help="Rows per transaction."),
) -> None:
    """Re-encrypt and re-hash every phone number stored under GATEWAY_PREVIOUS_SECRET_KEYS with
    GATEWAY_SECRET_KEY. Safe to interrupt and to run again; the gateway may keep running."""
    settings, vault = _settings_and_vault()
    if not vault.rotating:
        err(
            "nothing to rotate from: set GATEWAY_PREVIOUS_SECRET_KEYS to the old key(s) and "
            "GATEWAY_SECRET_KEY to the new one"
        )
        raise typer.Exit(2)

    async def _rotate() -> dict[str, Tally]:
        async with database(settings) as sessions:
            return await rotate_all(sessions, vault, batch_size, write=True)

    from gateway.rotation.batches import total

    tallies = run(_rotate)
    _report(tallies, write=True)
    left = total(tallies).left_behind
    if left:
        err(
            f"not finished: {left} row(s) are still under an old or unknown key (see above); "
            "keep GATEWAY_PREVIOUS_SECRET_KEYS until they are dealt with"
        )
        raise typer.Exit(1)
    err("done: everything is under GATEWAY_SECRET_KEY; remove GATEWAY_PREVIOUS_SECRET_KEYS and restart")


@app.command("check")
def check(
    batch_size: int = typer.Option(BATCH_SIZE, min=10, max=5000, help="Rows read at a time."),
) -> None:
    """Count the rows still under a previous key (or under no configured key); changes nothing.
    Exits 1 when any are left."""
    settings, vault = _settings_and_vault()

    async def _check() -> dict[str, Tally]:
        async with database(settings) as sessions:
            return await rotate_all(sessions, vault, batch_size, write=False)

    from gateway.rotation.batches import total

    tallies = run(_check)
    _report(tallies, write=False)
    overall = total(tallies)
    stale = overall.rotated + overall.undecryptable + overall.conflicts
    if stale:
        err(f"{stale} row(s) are not under GATEWAY_SECRET_KEY")
        raise typer.Exit(1)
    err("every stored number is under GATEWAY_SECRET_KEY")


async def rotate_all(
    sessions: SessionMaker, vault: PhoneVault, batch_size: int = BATCH_SIZE, *, write: bool = True
) -> dict[str, Tally]:
    """Every table, one transaction per batch. Contacts go first: sessions and erased messages are
    mapped through the contacts' numbers, and a contact found under its current hash is current."""
    from gateway.rotation.batches import (
        COMMITTEE_MEMBERS,
        CONTACTS,
        OUTBOUND_MESSAGES,
        KnownNumbers,
        known_numbers,
        rotate_session_hashes,
    )

    tallies: dict[str, Tally] = {}
    for table in (CONTACTS, COMMITTEE_MEMBERS):
        tallies[table.name] = await _each_batch(sessions, _phone_rows(vault, table, None, write, batch_size))
    known = KnownNumbers()
    after: int | None = 0
    while after is not None:
        async with sessions() as db:
            after = await known_numbers(db, vault, after, known, limit=batch_size)
    tallies[OUTBOUND_MESSAGES.name] = await _each_batch(
        sessions, _phone_rows(vault, OUTBOUND_MESSAGES, known, write, batch_size)
    )

    async def session_batch(db: AsyncSession, after: int) -> Batch:
        return await rotate_session_hashes(db, known, after, write=write, limit=batch_size)

    tallies["ussd_sessions"] = await _each_batch(sessions, session_batch)
    return tallies


def _phone_rows(
    vault: PhoneVault, table: PhoneTable, known: KnownNumbers | None, write: bool, limit: int
) -> BatchStep:
    from gateway.rotation.batches import rotate_phone_rows

    async def step(db: AsyncSession, after: int) -> Batch:
        return await rotate_phone_rows(db, vault, table, after, known=known, write=write, limit=limit)

    return step


async def _each_batch(sessions: SessionMaker, step: BatchStep) -> Tally:
    from gateway.rotation.batches import Tally

    tally = Tally()
    after = 0
    while True:
        async with sessions() as db, db.begin():
            batch = await step(db, after)
        tally.add(batch.tally)
        if batch.next_after is None:
            return tally
        after = batch.next_after


def _settings_and_vault() -> tuple[Settings, PhoneVault]:
    from gateway.wiring import build_vault

    settings = settings_or_exit()  # it warns of a weak previous key: these commands retire it
    return settings, build_vault(settings)


def _report(tallies: dict[str, Tally], *, write: bool) -> None:
    for name, t in tallies.items():
        parts = [
            f"{t.rotated} {'moved to the new key' if write else 'still under a previous key'}",
            f"{t.current} already under it" if write else f"{t.current} under the current key",
        ]
        if t.cleared:
            parts.append(
                f"{t.cleared} phone hash(es) {'cleared' if write else 'to clear'} (no contact has the number)"
            )
        if t.undecryptable:
            parts.append(f"{t.undecryptable} no configured key can decrypt (left as they are)")
        if t.conflicts:
            parts.append(f"{t.conflicts} duplicate(s) of a row already under the new key (left as they are)")
        if t.busy:
            parts.append(f"{t.busy} in use during the pass (run again)")
        err(f"{name}: {t.checked} checked: " + ", ".join(parts))
