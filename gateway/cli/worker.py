from __future__ import annotations

import asyncio
import signal

import typer

from gateway.cli.common import err, run, settings_or_exit
from gateway.config import SettingsError


def worker(
    metrics_port: int | None = typer.Option(
        None, min=1, max=65535, help="Serve this worker's Prometheus metrics on this port."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address for --metrics-port."),
) -> None:
    """Send the outbox, the due committee summaries and notices; run as many as you like."""
    from gateway.channels.providers import build_provider
    from gateway.wiring import Gateway

    settings = settings_or_exit()
    try:
        channels = build_provider(settings)
    except SettingsError as exc:
        err(str(exc))
        raise typer.Exit(2) from None
    if metrics_port is not None:
        from prometheus_client import start_http_server

        from gateway.ops.metrics import REGISTRY

        # Provider latency and errors are counted here, not in the API processes.
        start_http_server(metrics_port, metrics_host, registry=REGISTRY)

    async def _work() -> None:
        gateway = Gateway.build(settings, provider=channels)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        names = ", ".join(gateway.channels.names)
        err(f"gateway worker: dispatching through {names}; Ctrl-C stops")
        work = asyncio.create_task(gateway.background(stop))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                err("gateway worker: stopping; finishing the provider requests in flight")
                await asyncio.wait({work}, timeout=settings.shutdown_grace_s)
            if not work.done():
                # Past the grace period. The dispatcher still hands back its claims on the way
                # out; a provider request it abandons may be sent again, as after a crash.
                err(f"gateway worker: still busy after {settings.shutdown_grace_s:g} s; cancelling")
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            else:
                work.result()  # a worker that died on its own exits non-zero
        finally:
            stopping.cancel()
            await gateway.close()

    run(_work)
