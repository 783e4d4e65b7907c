"""Each channel's state, shared through the database: `ok`, `down` or `unknown`.

The dispatcher marks a channel down after GATEWAY_CHANNEL_DOWN_AFTER failed requests in a row and
leaves it alone for GATEWAY_CHANNEL_DOWN_S (its messages take the next channel of their route);
the first send that goes through marks it ok again. `gateway channels check` writes what it found.
/readyz reads the table: no provider is called by a probe. `ok` is written only where the row
says otherwise (one conditional statement, whoever wrote the row: another worker, or
`gateway channels check`), so a healthy channel costs no row write per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.base import utcnow
from gateway.db.engine import SessionMaker
from gateway.outbox.models import ChannelState
from gateway.outbox.provider import RecipientResult
from gateway.security.phone import mask_in_text

log = logging.getLogger(__name__)
# A provider's error text may quote the number it refused: no run of digits that long is kept.
OK_RECHECK_S = 10.0


def clean_detail(detail: str) -> str:
    # Whatever a provider's error text holds that may be a number, however it is written (dots,
    # dashes, spaces), masked as in the logs: /readyz shows this detail.
    return mask_in_text(detail)[:200]


@dataclass(frozen=True)
class StateView:
    state: str
    detail: str
    changed_at: datetime | None
    down_until: datetime | None


async def read_states(db: AsyncSession) -> dict[str, StateView]:
    rows = (await db.execute(select(ChannelState))).scalars()
    return {r.channel: StateView(r.state, r.detail, r.changed_at, r.down_until) for r in rows}


async def configured_states(db: AsyncSession, names: Sequence[str]) -> dict[str, StateView]:
    """Each of the configured channels `names`, in their order: one never checked nor used yet is
    `unknown` (what /readyz and the console's overview show)."""
    states = await read_states(db)
    return {name: states.get(name) or StateView("unknown", "", None, None) for name in names}


async def write_state(
    db: AsyncSession,
    channel: str,
    state: str,
    detail: str,
    down_until: datetime | None = None,
    *,
    if_changed: bool = False,
) -> bool:
    """Upserts the channel's state; with `if_changed`, only where the row has another state.
    True when a row was written."""
    values = {
        "channel": channel,
        "state": state,
        "detail": clean_detail(detail),
        "changed_at": utcnow(),
        "down_until": down_until,
    }
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ChannelState).values(**values)
    result = await db.execute(
        statement.on_conflict_do_update(
            index_elements=["channel"],
            set_={k: statement.excluded[k] for k in ("state", "detail", "changed_at", "down_until")},
            where=(ChannelState.state != state) if if_changed else None,
        )
    )
    return bool(getattr(result, "rowcount", 1))


class ChannelHealth:
    """What one dispatcher learns from its sends, written where every process sees it."""

    def __init__(self, sessionmaker: SessionMaker, down_after: int, down_s: float) -> None:
        self.sessionmaker = sessionmaker
        self.down_after = down_after
        self.down_for = timedelta(seconds=down_s)
        self._failures: dict[str, int] = {}
        self._written: dict[str, str] = {}
        self._ok_checked: dict[str, float] = {}  # when the row last said `ok` (monotonic)

    async def down_channels(self) -> set[str]:
        """The channels to leave alone now (down, and their time out not yet over)."""
        now = utcnow()
        async with self.sessionmaker() as db:
            rows = await db.execute(
                select(ChannelState.channel, ChannelState.down_until).where(ChannelState.state == "down")
            )
            down = {channel for channel, until in rows if until is None or until > now}
        for channel in down:
            self._ok_checked.pop(channel, None)  # `ok` is to be written again at the next success
        return down

    async def observe(self, channel: str, results: Sequence[RecipientResult]) -> None:
        """A request whose every answer was a transient failure counts against the channel; any
        other answer (accepted, or refused for that number) shows it up."""
        if results and all(r.outcome in ("transient", "uncertain") for r in results):
            failures = self._failures[channel] = self._failures.get(channel, 0) + 1
            if failures >= self.down_after:
                detail = f"{failures} failed requests in a row; last: {results[0].status}"
                await self._write(channel, "down", detail, utcnow() + self.down_for)
        elif results:
            self._failures[channel] = 0
            # A write a request would make the database's one writer (SQLite) busy after every
            # message; the row is checked again when a pass reads it down (down_channels), or
            # after OK_RECHECK_S at most (one channel: no pass reads it).
            checked = self._ok_checked.get(channel)
            if checked is not None and time.monotonic() - checked < OK_RECHECK_S:
                return
            await self._write(channel, "ok", "sending")
            if self._written.get(channel) == "ok":
                self._ok_checked[channel] = time.monotonic()

    async def _write(self, channel: str, state: str, detail: str, until: datetime | None = None) -> None:
        # Against the row, not this process's memory: another process or the check may have
        # written `down` since this one last wrote `ok`.
        try:
            async with self.sessionmaker() as db, db.begin():
                changed = await write_state(db, channel, state, detail, until, if_changed=state != "down")
        except Exception:  # the state is advice; sending must not stop for it
            log.exception("could not record the state of channel %s", channel)
            return
        if changed and self._written.get(channel) != state:
            (log.warning if state == "down" else log.info)("channel %s is %s", channel, state)
        if changed:
            self._written[channel] = state
        if state != "ok":
            self._ok_checked.pop(channel, None)
        elif not changed:
            self._written[channel] = "ok"  # the row said so already
