from __future__ import annotations

import asyncio
import logging
import os
import signal

import typer

from gateway.cli.common import err, run, settings_or_exit
from gateway.config import SettingsError

log = logging.getLogger(__name__)


def worker(
    metrics_port: int | None = typer.Option(
        None, min=1, max=65535, help="Serve this worker's Prometheus metrics on this port."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address for --metrics-port."),
    stop_with_parent: int | None = typer.Option(
        None, hidden=True, help="Stop when process PID is no longer this one's parent (serve's companion)."
    ),
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
        # As serve's companion its lines join the server's log, in the log's format.
        tell = log.info if stop_with_parent is not None else err
        tell(f"gateway worker: dispatching through {names}; Ctrl-C stops")
        watch = (
            asyncio.create_task(_stop_when_orphaned(stop_with_parent, stop))
            if stop_with_parent is not None
            else None
        )
        work = asyncio.create_task(gateway.background(stop))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                tell("gateway worker: stopping; finishing the provider requests in flight")
                await asyncio.wait({work}, timeout=settings.shutdown_grace_s)
            if not work.done():
                # Past the grace period. The dispatcher still hands back its claims on the way
                # out; a provider request it abandons may be sent again, as after a crash.
                log.warning("gateway worker: still busy after %g s; cancelling", settings.shutdown_grace_s)
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            else:
                work.result()  # a worker that died on its own exits non-zero
        finally:
            stopping.cancel()
            if watch is not None:
                watch.cancel()
            await gateway.close()

    run(_work)


ORPHAN_CHECK_S = 1.0


async def _stop_when_orphaned(parent: int, stop: asyncio.Event) -> None:
    # A server killed outright (SIGKILL, OOM) cannot stop its companion; the companion, adopted by
    # another process, notices and stops as on SIGTERM.
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("gateway worker: the server it was sending for is gone; stopping")
            stop.set()
            return
        try:
            await asyncio.wait_for(stop.wait(), ORPHAN_CHECK_S)
        except TimeoutError:
            pass
