"""Orange's SMS API (developer.orange.com, "SMS Africa and Middle East"): outgoing SMS and their
delivery receipts. The only code that knows Orange's URLs, field names and error words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.config import Settings, SettingsError

if TYPE_CHECKING:
    from gateway.channels.orange.client import OrangeSms


def build(settings: Settings) -> OrangeSms:
    """The Orange channel from GATEWAY_ORANGE_*; SettingsError names what is missing."""
    from gateway.channels.orange.client import OrangeSms

    missing = [
        f"GATEWAY_ORANGE_{name.upper()}"
        for name in ("client_id", "client_secret", "sender")
        if not getattr(settings, f"orange_{name}")
    ]
    if missing:
        raise SettingsError(f"bad settings: the orange channel needs {', '.join(missing)}")
    sender = (settings.orange_sender or "").strip()
    if not sender.lstrip("+").isdigit():
        raise SettingsError(
            "bad settings: GATEWAY_ORANGE_SENDER must be the sender's number, e.g. +22370000000"
        )
    return OrangeSms(
        settings.orange_client_id or "",
        settings.orange_client_secret or "",
        sender,
        sender_name=settings.orange_sender_name,
        api_url=settings.orange_api_url,
        rate_per_s=settings.orange_rate_per_s,
        timeout_s=settings.orange_timeout_s,
        uncertain_hold_s=settings.orange_uncertain_hold_s,
    )
