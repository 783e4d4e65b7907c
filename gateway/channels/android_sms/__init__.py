"""SMS Gateway for Android (capcom6/android-sms-gateway): phones with a local SIM as a two-way SMS
channel. `callbacks.py`: the app's signed webhooks; `webhooks.py`: their signature and fields;
`provider.py`: sending through the phones. Set-up and limits: docs/channels.md."""

from __future__ import annotations

from gateway.channels.android_sms.provider import AndroidSmsProvider
from gateway.config import Settings, SettingsError


def build(settings: Settings) -> AndroidSmsProvider:
    phones = settings.android_phone_list
    if not phones:
        raise SettingsError(
            "bad settings: GATEWAY_ANDROID_PHONES is required for the android_sms channel "
            "(name=URL,USER,PASSWORD[,+PREFIX], one phone per entry, separated by ';')"
        )
    provider = AndroidSmsProvider(
        phones,
        interval_s=settings.android_send_interval_s,
        timeout_s=settings.android_timeout_s,
        down_s=settings.android_down_s,
        uncertain_hold_s=settings.android_uncertain_hold_s,
    )
    # The phone keeps a copy of what it sends: no anonymous receipts unless the operator says so.
    provider.keeps_copies = not settings.android_anonymous_receipts
    return provider
