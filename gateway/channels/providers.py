"""The SMS provider a process sends through, from the settings: the one place that picks a channel."""

from __future__ import annotations

from gateway.config import Settings, SettingsError
from gateway.outbox.provider import LogProvider, SmsProvider


def build_provider(settings: Settings) -> SmsProvider:
    if settings.provider == "africastalking":
        if not settings.at_api_key:
            raise SettingsError(
                "bad settings: GATEWAY_AT_API_KEY is required with GATEWAY_PROVIDER=africastalking"
            )
        from gateway.channels.africastalking.sms_client import AfricasTalkingSms

        return AfricasTalkingSms(
            settings.at_username, settings.at_api_key, settings.at_api_url, settings.at_sender_id
        )
    return LogProvider()
