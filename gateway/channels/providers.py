"""The channel registry: which channels this process sends through, built from the settings, and
the routes between them (outbox/routing.py). The one place that knows every channel package.

A channel package exposes `build(settings) -> provider`, the provider implementing
`gateway.outbox.provider.SmsProvider` (docs/channels.md, "How to add a channel"); it is named here
once, imported only when configured.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from gateway.config import Settings, SettingsError
from gateway.outbox.provider import LogProvider, SmsProvider
from gateway.outbox.routing import ChannelSet, RouteError, parse_routes

Builder = Callable[[Settings], SmsProvider]


def _log(settings: Settings) -> SmsProvider:
    return LogProvider()


def _package(module: str) -> Builder:
    def build(settings: Settings) -> SmsProvider:
        built: SmsProvider = importlib.import_module(module).build(settings)
        return built

    return build


# Channel name (as in GATEWAY_CHANNELS, GATEWAY_ROUTES and the outbox's `provider` column) -> builder.
CHANNELS: dict[str, Builder] = {
    "log": _log,
    "africastalking": _package("gateway.channels.africastalking.channel"),
    "orange": _package("gateway.channels.orange"),
    "android_sms": _package("gateway.channels.android_sms"),
}


def build_channels(settings: Settings, builders: dict[str, Builder] | None = None) -> ChannelSet:
    """Every configured channel and the routes between them. A channel that is not known, is
    missing its settings, or a route that names a channel not configured: SettingsError, in one
    line, before anything starts."""
    known = CHANNELS if builders is None else builders
    names = settings.channel_names
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SettingsError(
            f"bad settings: GATEWAY_CHANNELS: unknown channel {unknown[0]!r} (known: {', '.join(known)})"
        )
    providers = {name: known[name](settings) for name in names}
    for name, provider in providers.items():
        if provider.name != name:
            raise SettingsError(f"bad settings: channel {name!r} built a provider named {provider.name!r}")
    try:
        routes = parse_routes(settings.routes, names)
    except RouteError as exc:
        raise SettingsError(f"bad settings: GATEWAY_ROUTES: {exc}") from None
    from gateway.channels.last_channel import last_channels

    return ChannelSet(providers, routes, last_channels)


def build_provider(settings: Settings) -> ChannelSet:
    """What `Gateway.build` sends through (the name from before there were several channels)."""
    return build_channels(settings)
