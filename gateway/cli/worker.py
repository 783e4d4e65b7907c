from __future__ import annotations

import asyncio
import signal

from gateway.cli.common import err, run, settings_or_exit


def worker() -> None:
    """Send the outbox and the due committee summaries without serving HTTP; run as many as you like."""
    from gateway.wiring import Gateway

    settings = settings_or_exit()

    async def _work() -> None:
        gateway = Gateway.build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        err(f"gateway worker: dispatching with the {gateway.provider.name} provider; Ctrl-C stops")
        try:
            await gateway.background(stop)
        finally:
            await gateway.close()

    run(_work)
