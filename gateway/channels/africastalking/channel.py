"""Africa's Talking as a channel of the registry: its SMS sender, plus the check behind
`gateway channels check` (an authenticated GET /version1/user, which answers the balance)."""

from __future__ import annotations

import asyncio

import requests
from africastalking.Application import ApplicationService
from africastalking.Service import AfricasTalkingException

from gateway.channels.africastalking.sms_client import AfricasTalkingSms
from gateway.config import Settings, SettingsError
from gateway.outbox.provider import ChannelCheck


class AfricasTalkingChannel(AfricasTalkingSms):
    async def check(self) -> ChannelCheck:
        # The SDK's application service, made from the SMS one's credentials and URL: only the
        # check asks for it.
        sms = self.service
        application = ApplicationService(sms._username, sms._api_key)
        application._baseUrl = sms._baseUrl
        try:
            answer = await asyncio.to_thread(application.fetch_application_data, None, self.timeout)
        except AfricasTalkingException as exc:  # 401: wrong username or API key
            return ChannelCheck(False, f"Africa's Talking refused: {str(exc)[:120]}")
        except requests.RequestException as exc:
            return ChannelCheck(False, f"Africa's Talking unreachable: {type(exc).__name__}")
        data = answer.get("UserData") if isinstance(answer, dict) else None
        balance = data.get("balance") if isinstance(data, dict) else None
        return ChannelCheck(
            True, f"authenticated; balance {str(balance)[:32]}" if balance else "authenticated"
        )


def build(settings: Settings) -> AfricasTalkingChannel:
    if not settings.at_api_key:
        raise SettingsError("bad settings: GATEWAY_AT_API_KEY is required for the africastalking channel")
    return AfricasTalkingChannel(
        settings.at_username, settings.at_api_key, settings.at_api_url, settings.at_sender_id
    )
