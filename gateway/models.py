"""Every model, imported once so the metadata (and Alembic) sees the whole schema. Above every
package that defines tables: only the migrations and the tests read it."""

from gateway.accounts.models import ApiToken, ConsoleSession, Invitation, User
from gateway.areas.boundaries_models import AreaBoundary
from gateway.areas.models import Area
from gateway.audit.models import AuditEvent
from gateway.broadcasts.models import Broadcast, BroadcastArea, BroadcastRecipient, Meeting, Subscription
from gateway.committees.models import Committee, CommitteeArea, CommitteeMember, Digest
from gateway.contacts.models import Contact
from gateway.db.base import Base
from gateway.flood.models import FloodMark
from gateway.outbox.models import DeliveryEvent, OutboundMessage
from gateway.reports.models import Report, ReportEvent, ReportWeekCount, ReportWeekMove
from gateway.sms.models import InboundMessage
from gateway.ussd.models import UssdSession

__all__ = [
    "ApiToken",
    "Area",
    "AreaBoundary",
    "AuditEvent",
    "Broadcast",
    "BroadcastArea",
    "BroadcastRecipient",
    "Base",
    "Committee",
    "CommitteeArea",
    "CommitteeMember",
    "ConsoleSession",
    "Contact",
    "DeliveryEvent",
    "Digest",
    "FloodMark",
    "InboundMessage",
    "Invitation",
    "Meeting",
    "OutboundMessage",
    "Report",
    "ReportEvent",
    "ReportWeekCount",
    "ReportWeekMove",
    "Subscription",
    "User",
    "UssdSession",
]
