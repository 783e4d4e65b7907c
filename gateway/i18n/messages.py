"""Message ids the code uses itself (flows declare theirs): with the flows', the whole template."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from gateway.reports.service import STATUSES, TOPICS

CODE_MESSAGES: tuple[str, ...] = (
    "ussd.nav.more",
    "ussd.nav.back",
    "ussd.nav.home",
    "ussd.error.use_nav",
    "ussd.error.internal",
    "ussd.error.session_over",
    "ussd.status.item",
    "report.place.usual",
    "country.ML",
    "country.BF",
    *(f"report_status.{status}" for status in STATUSES),
    "sms.receipt",
    "sms.followup",
    "sms.help",
    "sms.stopped",
    "sms.started",
    "sms.language.set",
    "sms.language.unknown",
    "sms.status.reply",
    "sms.status.brief",
    "sms.receipt.where",
    "sms.receipt.which",
    "sms.report.placed",
    "sms.report.which",
    "sms.subscribe.which",
    "sms.subscribe.unknown",
    "alert.place_unknown",
    "alert.place_unconfirmed",
    "sms.status.unknown",
    *(f"topic_short.{topic}" for topic in TOPICS),
    "digest.header",
    "digest.same",
    "digest.none",
    "digest.urgent",
    "digest.topics",
    "digest.places",
    "digest.other_places",
    "digest.refs",
    "alert.urgent",
    "sms.member.unknown",
    "sms.member.not_yours",
    "sms.member.acked",
    "sms.member.info",
    "sms.reporter.acked",
    "sms.reporter.closed",
    "notice.meeting",
    "notice.reminder",
    "sms.subscribed",
    "sms.subscribe.where",
    "sms.rsvp.yes",
    "sms.rsvp.no",
    "sms.rsvp.none",
    "ussd.flood",
    "sms.flood",
)


def build_template(flow_ids: set[str], source: Catalog) -> Catalog:
    """messages.pot: every id in use, with the French text as a comment for translators."""
    template = Catalog(project="border-feedback-gateway", fuzzy=False)
    ids = flow_ids | set(CODE_MESSAGES)
    for message in source:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key or key not in ids:
            continue
        french = message.string if isinstance(message.string, str) else " | ".join(message.string or ())
        template.add(
            message.id,
            string=("", "") if isinstance(message.id, tuple) else "",
            auto_comments=[*message.auto_comments, f"fr: {french}"],
        )
        ids.discard(key)
    for missing in sorted(ids):
        template.add(missing, auto_comments=["fr: (missing from the French catalog)"])
    return template
