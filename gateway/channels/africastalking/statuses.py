"""Africa's Talking status words and codes, mapped to the gateway's (reference/africastalking.md §2.2, §3.4)."""

from __future__ import annotations

from typing import Final

from gateway.outbox.provider import Outcome

ACCEPTED_CODES: Final = {100: "Processed", 101: "Sent", 102: "Queued"}
# Per-recipient codes of the send response. Retrying cannot help these numbers.
PERMANENT_CODES: Final = {
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
}
# Account or gateway trouble: worth retrying once someone fixes it or the gateway recovers.
TRANSIENT_CODES: Final = {
    401: "RiskHold",
    402: "InvalidSenderId",
    405: "InsufficientBalance",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}
OPT_OUT_CODE: Final = 406


def send_outcome(code: int) -> Outcome:
    if code in ACCEPTED_CODES:
        return "accepted"
    if code in PERMANENT_CODES:
        return "permanent"
    return "transient"


# Delivery report status -> the outbox's status; None leaves the message where it is.
DELIVERY_STATUSES: Final[dict[str, str | None]] = {
    "Sent": "sent",
    "Submitted": "sent",
    "Buffered": "sent",
    "Success": "delivered",
    "Rejected": "failed",
    "Failed": "failed",
    "Expired": "failed",
    "AbsentSubscriber": "failed",
}
OPT_OUT_REASONS: Final = {"UserInBlackList", "UserInBlacklist"}

# How AT's end-of-session notification says a USSD session ended.
END_STATUSES = ("Success", "Incomplete", "Failed")
