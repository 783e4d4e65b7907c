"""The callers: what each sends (a full USSD report session, or one bare request), and how many
run at once with the clock and the CPU readings around them."""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from benchmarks.load import stub
from benchmarks.load.connection import Poster, RequestFailed
from benchmarks.load.stats import Stats, cpu_since, own_cpu_seconds, postgres_cpu, tree_cpu_seconds

USSD_PATH = "/callbacks/africastalking/ussd"
SERVICE_CODE = "*384*1234#"
NETWORK_CODE = "61002"
REFERENCE = re.compile(r"\bR-[0-9A-Z]{4,8}\b")


# The answers of a full report from a new phone in French, after the first hop (text ""):
# French, report a problem, security incident, urgent, the commune typed, <description>, sent with
# my number (the report flow of issue 14: 8 hops a session, 12 before it).
def answers(number: int) -> list[str]:
    return ["1", "1", "1", "1", "Benkadi", f"Test de charge: incident numero {number}", "2"]


HOPS_PER_SESSION = len(answers(0)) + 1  # the first hop sends no answer


class Phones:
    """Distinct Malian mobile numbers (+2237 and 7 digits), new to the database in every run."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._random = random.SystemRandom()

    def new(self) -> str:
        for _ in range(1000):
            number = self._random.randrange(10**7)
            if number not in self._used:
                self._used.add(number)
                return f"+2237{number:07d}"
        raise RuntimeError("ran out of phone numbers")


Job = Callable[[Poster, int, Stats], Awaitable[None]]


async def timed_post(
    poster: Poster, path: str, data: dict[str, str], stats: Stats, what: str, hop: int | None = None
) -> tuple[int, str] | None:
    """One request with its latency recorded (under its hop's place too, for a session's hop);
    None (and an error counted) when no answer came."""
    started = time.perf_counter()
    try:
        status, body = await poster.post(path, data)
    except RequestFailed as exc:
        stats.error(f"{what}: {exc}")
        return None
    latency = time.perf_counter() - started
    stats.latencies.append(latency)
    if hop is not None:
        stats.by_hop.setdefault(hop, []).append(latency)
    return status, body


def ussd_path(callback_token: str | None) -> str:
    """The USSD callback as AT calls it: with `?token=` once the gateway has a callback token."""
    return USSD_PATH if callback_token is None else f"{USSD_PATH}?{urlencode({'token': callback_token})}"


def report_session_job(phones: Phones, think_s: float = 0.0, path: str = USSD_PATH) -> Job:
    async def job(poster: Poster, number: int, stats: Stats) -> None:
        """One caller's full report from a new phone, hop by hop; it stops at the first wrong answer.

        With a think time the caller pauses between hops (uniformly 0.5x-1.5x of it), as a person
        reading a screen and typing does, and dials after a pause of 0-2x of it; without, the
        callers are a closed loop at full speed.
        """
        session_id = "ATUid_" + secrets.token_hex(16)
        phone = phones.new()
        inputs = answers(number)
        for hop in range(HOPS_PER_SESSION):
            if think_s:
                # Before the first hop too: callers dial at scattered moments, not all at once.
                await asyncio.sleep(think_s * (random.uniform(0.5, 1.5) if hop else random.uniform(0, 2)))
            data = {
                "sessionId": session_id,
                "serviceCode": SERVICE_CODE,
                "phoneNumber": phone,
                "networkCode": NETWORK_CODE,
                "text": "*".join(inputs[:hop]),
            }
            answered = await timed_post(poster, path, data, stats, f"session {number} hop {hop + 1}", hop + 1)
            if answered is None:
                return
            status, body = answered
            last = hop == HOPS_PER_SESSION - 1
            expected = "END " if last else "CON "
            ok = (
                status == 200
                and body.startswith(expected)
                and (not last or REFERENCE.search(body) is not None)
            )
            if not ok:
                stats.error(
                    f"session {number} hop {hop + 1}: HTTP {status}, expected {expected!r}…: {body[:200]!r}"
                )
                return
        stats.sessions_done += 1

    return job


async def bare_job(poster: Poster, number: int, stats: Stats) -> None:
    data = {
        "sessionId": "ATUid_" + secrets.token_hex(16),
        "serviceCode": SERVICE_CODE,
        "phoneNumber": "+22370000000",
        "networkCode": NETWORK_CODE,
        "text": "1*1*1*1*3*1*1",
    }
    answered = await timed_post(poster, stub.PATH, data, stats, f"request {number}")
    if answered is not None and answered != (200, stub.ANSWER):
        status, body = answered
        stats.error(f"request {number}: HTTP {status}: {body[:200]!r}")


async def floor_job(poster: Poster, number: int, stats: Stats) -> None:
    """A session's worth of requests to the floor server (load/floor.py): as many hops as a
    gateway session, under one session id, so it writes one row and then updates it."""
    data = {
        "sessionId": "ATUid_" + secrets.token_hex(16),
        "serviceCode": SERVICE_CODE,
        "phoneNumber": "+22370000000",
        "networkCode": NETWORK_CODE,
    }
    inputs = answers(number)
    for hop in range(HOPS_PER_SESSION):
        data["text"] = "*".join(inputs[:hop])
        answered = await timed_post(poster, stub.PATH, data, stats, f"floor {number} hop {hop + 1}")
        if answered is None:
            return
        if answered != (200, stub.ANSWER):
            stats.error(f"floor {number} hop {hop + 1}: HTTP {answered[0]}: {answered[1][:200]!r}")
            return
    stats.sessions_done += 1


async def run_jobs(
    make_poster: Callable[[], Poster],
    total: int,
    concurrency: int,
    job: Job,
    stats: Stats,
    server_pid: int,
    database: str | None = None,
) -> None:
    """`concurrency` workers, each with its own connection, take job numbers 0..total-1 until none is
    left. With `database` (a PostgreSQL database's name), its server processes' CPU is counted too."""
    posters = [make_poster() for _ in range(min(concurrency, total))]
    next_number = 0

    async def worker(poster: Poster) -> None:
        nonlocal next_number
        while next_number < total:
            number = next_number
            next_number += 1
            await job(poster, number, stats)

    try:
        for poster in posters:  # connections are opened before the clock starts
            await poster.connect()
        server_before, client_before = tree_cpu_seconds(server_pid), own_cpu_seconds()
        database_before = postgres_cpu(database) if database else {}
        started = time.perf_counter()
        await asyncio.gather(*(worker(poster) for poster in posters))
        stats.wall_s = time.perf_counter() - started
        server_after, client_after = tree_cpu_seconds(server_pid), own_cpu_seconds()
        if database:
            stats.database_cpu_s = cpu_since(database_before, postgres_cpu(database))
        if server_before is not None and server_after is not None:
            stats.server_cpu_s = server_after - server_before
        stats.client_cpu_s = client_after - client_before
    finally:
        for poster in posters:
            await poster.aclose()
