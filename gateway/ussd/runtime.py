"""The engine's window on the database for one hop: areas, the caller, their reports."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.areas.directory import AreaDirectory
from gateway.broadcasts.models import Subscription
from gateway.broadcasts.service import subscribe
from gateway.contacts.models import Contact
from gateway.contacts.service import find_contact, get_or_create_contact
from gateway.i18n.languages import LANGUAGES
from gateway.reports.models import Report
from gateway.reports.service import NewReport, create_report, reports_of_contact
from gateway.security.keys import PhoneVault
from gateway.ussd.engine import ActionResult, Choice
from gateway.ussd.models import UssdSession
from gateway.ussd.places import PLACE_ACTIONS, PLACE_SOURCES, candidate_choices, cercle_choices, place_action
from gateway.ussd.render import Label
from gateway.ussd.schema import OptionSource

AREA_SOURCES = ("areas.usual", "areas.countries", "areas.provinces", "areas.communes", *PLACE_SOURCES)
SOURCES = (*AREA_SOURCES, "reports.mine")
ACTIONS = ("set_language", "submit_report", "resume", "discard_resume", "subscribe", *PLACE_ACTIONS)


class FlowDataError(RuntimeError):
    """A flow reached an action without the answers the action needs."""


@dataclass
class Caller:
    """Who is dialling. What the menus need of the contact (id, language, usual commune) is kept
    in the session state after the first hop, so later hops need no contact query; the Contact
    row itself is loaded only by an action that changes it."""

    phone: str
    contact_id: int | None = None
    language: str | None = None
    home_area: int | None = None
    contact: Contact | None = None
    # The contact row was made during this dial (or the one it resumes): a first-time caller.
    new_contact: bool = False
    # The caller's unfinished session from a few minutes ago, if they may resume it.
    resumable: UssdSession | None = None

    @classmethod
    def from_contact(cls, phone: str, contact: Contact | None) -> Caller:
        if contact is None:
            return cls(phone)
        return cls(phone, contact.id, contact.language, contact.home_area_id, contact)

    @classmethod
    def from_snapshot(cls, phone: str, snapshot: dict[str, Any]) -> Caller:
        return cls(
            phone,
            snapshot.get("id"),
            snapshot.get("language"),
            snapshot.get("home_area"),
            new_contact=bool(snapshot.get("new")),
        )

    def snapshot(self) -> dict[str, Any]:
        snapshot = {"id": self.contact_id, "language": self.language, "home_area": self.home_area}
        if self.new_contact:
            snapshot["new"] = True
        return snapshot


def area_choices(
    directory: AreaDirectory, source: OptionSource, data: dict[str, Any], home_area: int | None
) -> list[Choice]:
    """The options of the `areas.*` sources, from the area tree in memory (no query), made once
    per tree and kept with it: the caller must not change the list."""
    parent = home_area if source.source == "areas.usual" else data.get(source.parent or "")
    memo_key = ("ussd.area_choices", source.source, source.store, source.next, source.action, parent)
    made = directory.memo.get(memo_key)
    if made is None:
        made = directory.memo[memo_key] = _area_choices(directory, source, data, home_area)
    return made  # type: ignore[return-value]


def _area_choices(
    directory: AreaDirectory, source: OptionSource, data: dict[str, Any], home_area: int | None
) -> list[Choice]:
    key, target = source.store, source.next
    if source.source == "areas.usual":
        place = directory.get(home_area)
        if place is None:
            return []
        name = Label(text=place.name)
        return [
            Choice(
                Label("report.place.usual", params={"name": name}),
                target,
                {key: place.id},
                source.action,
                show={key: name},
            )
        ]
    if source.source == "areas.countries":
        return [Choice(Label(f"country.{c}"), target, {key: c}, source.action) for c in directory.countries()]
    if source.source == "areas.provinces":
        places = directory.provinces(str(data.get(source.parent or "", "")))
        return [Choice(Label(text=p.name), target, {key: p.id}, source.action) for p in places]
    if source.source == "areas.communes":
        parent = data.get(source.parent or "")
        places = directory.communes(parent) if isinstance(parent, int) else []
        return [Choice(Label(text=p.name), target, {key: p.id}, source.action) for p in places]
    if source.source == "areas.cercles":
        return cercle_choices(directory, source)
    if source.source == "areas.candidates":
        return candidate_choices(directory, source, data.get(source.parent or ""))
    raise ValueError(f"unknown option source {source.source!r}")


class DatabaseRuntime:
    def __init__(
        self,
        db: AsyncSession,
        vault: PhoneVault,
        directory: AreaDirectory,
        caller: Caller,
        session_row: UssdSession,
    ) -> None:
        self.db = db
        self.vault = vault
        self.directory = directory
        self.caller = caller
        self.row = session_row
        self.report: Report | None = None
        # Whether the reporter gets the reference by SMS too (an anonymous one only if they asked).
        self.receipt = False

    def values(self) -> dict[str, Any]:
        return {
            "language": self.caller.language,
            "home_area": self.caller.home_area,
            "resumable": self.caller.resumable is not None,
        }

    async def choices(self, source: OptionSource, data: dict[str, Any]) -> list[Choice]:
        if source.source == "reports.mine":
            return await self._my_reports(source)
        return area_choices(self.directory, source, data, self.caller.home_area)

    async def _my_reports(self, source: OptionSource) -> list[Choice]:
        if self.caller.contact_id is None:
            return []
        out = []
        for report in await reports_of_contact(self.db, self.caller.contact_id, limit=9):
            ref = Label(text=report.reference)
            status = Label(f"report_status.{report.status}")
            date = Label(text=report.created_at.strftime("%d/%m/%Y"))
            out.append(
                Choice(
                    Label("ussd.status.item", params={"reference": ref, "status": status}),
                    source.next,
                    {
                        source.store: report.reference,
                        "report_status": report.status,
                        "report_date": date.text or "",
                    },
                    source.action,
                    show={source.store: ref, "report_status": status, "report_date": date},
                )
            )
        return out

    async def act(self, action: str, flow: str, data: dict[str, Any]) -> ActionResult:
        if action == "set_language":
            return await self._set_language(data)
        if action == "submit_report":
            return await self._submit(data)
        if action == "resume":
            return await self._resume()
        if action in PLACE_ACTIONS:
            return place_action(self.directory, action, data, self.caller.home_area)
        if action == "subscribe":
            area = self.directory.get(data.get("area"))
            if area is None:
                raise FlowDataError("subscribe: unknown area")
            contact = await self._contact()
            await subscribe(self.db, contact.id, area.id, "ussd")
            return ActionResult()
        if action == "discard_resume":
            await self._close_previous("abandoned")
            return ActionResult()
        raise ValueError(f"unknown action {action!r}")

    async def _contact(self) -> Contact:
        caller = self.caller
        if caller.contact is None and caller.contact_id is not None:
            caller.contact = await self.db.get(Contact, caller.contact_id)
        if caller.contact is None:
            caller.contact = await find_contact(self.db, self.vault, caller.phone)
        if caller.contact is None:
            caller.contact = await get_or_create_contact(self.db, self.vault, caller.phone)
            caller.new_contact = True
        caller.contact_id = self.row.contact_id = caller.contact.id
        return caller.contact

    async def _forget_new_contact(self) -> None:
        """A first-time caller who reports anonymously leaves no contact row behind: made during
        the same dial, it would say which number was dialling when the report came in. What they
        chose (the language) is forgotten with it. A contact with a subscription stays."""
        caller = self.caller
        if not caller.new_contact or caller.contact_id is None:
            return
        contact_id = caller.contact_id
        caller.contact_id = self.row.contact_id = None
        caller.contact, caller.new_contact = None, False
        subscribed = (
            await self.db.execute(select(exists().where(Subscription.contact_id == contact_id)))
        ).scalar_one()
        if subscribed:
            return
        contact = await self.db.get(Contact, contact_id)
        if contact is None:
            return
        # Only this dial and the one it resumes can point at a contact made during them.
        await self.db.execute(
            update(UssdSession).where(UssdSession.contact_id == contact_id).values(contact_id=None)
        )
        try:
            async with self.db.begin_nested():
                await self.db.delete(contact)
        except IntegrityError:
            pass  # something else of this number (an SMS) arrived meanwhile: it keeps its contact

    async def _set_language(self, data: dict[str, Any]) -> ActionResult:
        code = data.get("language")
        if code not in LANGUAGES:
            raise FlowDataError(f"set_language: unknown language {code!r}")
        contact = await self._contact()
        contact.language = self.caller.language = code
        self.row.language = code
        return ActionResult(language=code)

    async def _submit(self, data: dict[str, Any]) -> ActionResult:
        missing = [k for k in ("topic", "area", "urgency", "description", "anonymous") if k not in data]
        if missing:
            raise FlowDataError(f"submit_report: missing {', '.join(missing)}")
        area = self.directory.get(data["area"])
        if area is None:
            raise FlowDataError("submit_report: unknown area")
        anonymous = bool(data["anonymous"])
        if anonymous:
            await self._forget_new_contact()
        contact = None if anonymous else await self._contact()
        report = await create_report(
            self.db,
            NewReport(
                channel="ussd",
                language=self.row.language or (contact.language if contact else None) or "fr",
                topic=str(data["topic"]),
                area_id=area.id,
                urgency=str(data["urgency"]),
                description=str(data["description"]),
                anonymous=anonymous,
                contact_id=contact.id if contact else None,
            ),
        )
        if contact is not None:
            contact.home_area_id = self.caller.home_area = area.id
            if data.get("subscribe"):
                await subscribe(self.db, contact.id, area.id, "ussd")
        self.report = report
        self.receipt = bool(data.get("receipt", not anonymous))
        return ActionResult(
            data={"reference": report.reference}, show={"reference": Label(text=report.reference)}
        )

    async def _resume(self) -> ActionResult:
        previous = self.caller.resumable
        if previous is None or not previous.state:
            return ActionResult(goto="main:home")
        state = copy.deepcopy(previous.state)
        # A contact made during the dial that was cut off is still this caller's first one.
        self.caller.new_contact = self.caller.new_contact or bool((state.get("caller") or {}).get("new"))
        state["lang"] = self.row.language or state.get("lang")
        state.pop("error", None)
        state.pop("ended", None)
        self.row.resumed_from = previous.id
        await self._close_previous("resumed")
        return ActionResult(replace_state=state)

    async def _close_previous(self, outcome: str) -> None:
        previous = self.caller.resumable
        if previous is None:
            return
        # The old session's answers now live in this one (or are dropped): keep no second copy.
        await self.db.execute(
            update(UssdSession)
            .where(UssdSession.id == previous.id)
            .values(outcome=outcome, state={}, in_report=False)
        )
        self.caller.resumable = None
