"""One request to the provider, answered with one result per recipient whatever goes wrong."""

from __future__ import annotations

import logging
import time

from gateway.ops.metrics import PROVIDER_ERRORS, PROVIDER_SECONDS
from gateway.outbox.provider import ProviderError, RecipientResult, SmsProvider

log = logging.getLogger(__name__)


async def send_request(provider: SmsProvider, body: str, phones: list[str]) -> list[RecipientResult]:
    """A failed request comes back as a result for each number, transient or permanent as the
    provider said, so that recording has one path for every outcome."""
    started = time.perf_counter()
    try:
        results = await provider.send(body, phones)
    except ProviderError as exc:
        PROVIDER_ERRORS.labels(provider.name, "transient" if exc.transient else "permanent").inc()
        log.warning(
            "provider %s request failed (%s): %s",
            provider.name,
            "transient" if exc.transient else "permanent",
            exc,
        )
        outcome = "transient" if exc.transient else "permanent"
        results = [RecipientResult(p, outcome, str(exc)[:64]) for p in phones]  # type: ignore[arg-type]
    except Exception as exc:  # a provider bug must not kill the dispatcher or lose messages
        PROVIDER_ERRORS.labels(provider.name, "bug").inc()
        log.exception("provider %s raised", provider.name)
        results = [RecipientResult(p, "transient", type(exc).__name__) for p in phones]
    PROVIDER_SECONDS.labels(provider.name).observe(time.perf_counter() - started)
    return results
