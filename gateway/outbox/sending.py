"""One request to the provider, answered with one result per recipient whatever goes wrong."""

from __future__ import annotations

import logging
import time

from gateway.ops.metrics import PROVIDER_ERRORS, PROVIDER_SECONDS
from gateway.outbox.provider import Confirm, Outgoing, ProviderError, RecipientResult, SmsProvider

log = logging.getLogger(__name__)


async def send_request(
    provider: SmsProvider,
    body: str,
    phones: list[str],
    messages: list[Outgoing] | None = None,
    confirm: Confirm | None = None,
) -> list[RecipientResult]:
    """A failed request comes back as a result for each number, transient, uncertain or permanent
    as the provider said, so that recording has one path for every outcome. With `messages` and
    `confirm`, the provider's `send_messages` is called (it confirms each request itself)."""
    started = time.perf_counter()
    try:
        if messages is not None and confirm is not None:
            results = await provider.send_messages(body, messages, confirm)  # type: ignore[attr-defined]
        else:
            results = await provider.send(body, phones)
    except ProviderError as exc:
        outcome = exc.outcome
        PROVIDER_ERRORS.labels(provider.name, outcome).inc()
        log.warning("provider %s request failed (%s): %s", provider.name, outcome, exc)
        results = [RecipientResult(p, outcome, str(exc)[:64], retry_after=exc.retry_after) for p in phones]
    except Exception as exc:  # a provider bug must not kill the dispatcher or lose messages
        PROVIDER_ERRORS.labels(provider.name, "bug").inc()
        log.exception("provider %s raised", provider.name)
        # Through send_messages a request may have gone before the bug: uncertain, not transient.
        outcome = "uncertain" if confirm is not None else "transient"
        results = [RecipientResult(p, outcome, type(exc).__name__) for p in phones]
    PROVIDER_SECONDS.labels(provider.name).observe(time.perf_counter() - started)
    return results
