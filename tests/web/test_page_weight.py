"""Every console page, with realistic data, weighs little enough for a 2G/3G connection: its HTML and
every same-origin style sheet, script and image it references, as a first visit loads them (nothing
cached yet), under budgets both as sent uncompressed and as gzip would send them.

Budgets, from the rates the console's users have at the border: 2G EDGE moves 100-200 kbit/s
(12-25 kB/s) at best, GPRS 40 kbit/s (5 kB/s), 3G some 400 kbit/s and up.
- RAW_BUDGET, 60 kB uncompressed: what goes over the wire when nothing compresses (the gateway
  does not compress its pages itself; a proxy may): about 5 s at 100 kbit/s.
- GZIP_BUDGET, 15 kB gzipped (each file on its own, level 6, as a proxy's gzip would): about 1.2 s
  at 100 kbit/s, 3 s on GPRS.

A page is a row of PAGES: add one when a page is added. A page a row names that the app does not
serve (yet) is skipped, saying so. `pytest tests/web/test_page_weight.py -s` prints the figures
(docs/benchmarks.md, console section, records them).
"""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest

from gateway.committees.service import NewMember
from gateway.reports.service import TOPICS, URGENCIES
from gateway.wiring import Gateway
from tests.accounts.helpers import START, Console, console_for, make_user
from tests.helpers import MakeCommittee, MakeReport

RAW_BUDGET = 60_000
GZIP_BUDGET = 15_000
COMMUNES = ("Zégoua", "Banfora", "Kadiolo", "Niangoloko")
# A resident's report as they come: a sentence or two, accents, a place and a time.
TEXT = (
    "Des hommes armés ont été vus près du marché de bétail ce matin vers 6 h, "
    "les commerçants ont fermé leurs étals et la route vers la frontière est bloquée."
)


@dataclass(frozen=True)
class Page:
    name: str
    path: str = ""
    # Or the first address on the page `link_from` that `link` finds (a report, a committee).
    link_from: str = ""
    link: str = ""
    then: str = ""  # added to the address found (a committee's edit page)
    signed_in: bool = True


PAGES = (
    Page("sign-in", "/signin", signed_in=False),
    Page("overview", "/overview"),
    Page("reports (inbox, 50 a page)", "/reports"),
    Page("report", link_from="/reports", link=r'href="(/reports/R-[0-9A-Z]+)"'),
    Page("committees", "/committees"),
    Page("committee", link_from="/committees", link=r'href="(/committees/\d+)"'),
    Page("committee edit", link_from="/committees", link=r'href="(/committees/\d+)"', then="/edit"),
    Page("new committee", "/committees/new"),
    Page("broadcasts", "/broadcasts"),
    Page("new broadcast", "/broadcasts/new"),
    Page("meetings", "/meetings"),
    Page("audit log", "/audit"),
)
# The same-origin files a page loads: style sheets, icons, scripts, images.
_REFERENCES = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"', re.IGNORECASE)


@pytest.fixture
async def console(gateway: Gateway) -> AsyncIterator[Console]:
    async with console_for(gateway) as made:
        yield made


async def realistic(gateway: Gateway, make_report: MakeReport, make_committee: MakeCommittee) -> None:
    """An organiser, a committee of three members over two communes, 60 reports over four weeks
    (more than a page of the inbox), a few of them urgent."""
    await make_committee(
        "Comité de Zégoua",
        ["Zégoua", "Niangoloko"],
        [
            NewMember("Awa Traoré", "+22370000001", "fr", "présidente"),
            NewMember("Moussa Coulibaly", "+22370000002", "bm"),
            NewMember("Fatoumata Diallo", "+22370000003", "fr"),
        ],
    )
    for n in range(60):
        await make_report(
            COMMUNES[n % len(COMMUNES)],
            topic=TOPICS[n % len(TOPICS)],
            urgency=URGENCIES[n % len(URGENCIES)],
            at=START - timedelta(hours=11 * n + 1),
            text=TEXT,
            language=("fr", "bm", "dyu", "mos")[n % 4],
        )
    await make_user(gateway)


def _gzipped(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


async def weigh(console: Console, page: Page) -> dict[str, int] | None:
    """The page's bytes and its files' (uncompressed and gzipped); None when it is not served."""
    path = page.path
    if page.link_from:
        found = re.search(page.link, (await console.client.get(page.link_from)).text)
        if found is None:
            return None
        path = found[1] + page.then
    answer = await console.client.get(path)
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, (path, answer.status_code)
    html = answer.content
    weights = {"html": len(html), "html_gzip": _gzipped(html), "files": 0, "files_gzip": 0}
    base = str(answer.url)
    for reference in sorted(set(_REFERENCES.findall(answer.text))):
        address = urljoin(base, reference.replace("&amp;", "&"))
        if urlsplit(address).netloc != urlsplit(base).netloc or address.startswith("data:"):
            continue  # another origin (the CSP forbids it anyway) or inline
        file = await console.client.get(address)
        assert file.status_code == 200, (path, reference, file.status_code)
        weights["files"] += len(file.content)
        weights["files_gzip"] += _gzipped(file.content)
    return weights


async def test_every_page_fits_the_budget(
    gateway: Gateway, console: Console, make_report: MakeReport, make_committee: MakeCommittee
) -> None:
    await realistic(gateway, make_report, make_committee)
    figures: dict[str, dict[str, int]] = {}
    missing = []
    signed_in = False
    for page in sorted(PAGES, key=lambda p: p.signed_in):  # the sign-in page before signing in
        if page.signed_in and not signed_in:
            assert (await console.sign_in()).status_code == 303
            signed_in = True
        weights = await weigh(console, page)
        if weights is None:
            missing.append(page.name)
            continue
        figures[page.name] = weights
    lines = ["", "| page | HTML | + files | total | gzipped total |", "|---|---:|---:|---:|---:|"]
    for name, w in figures.items():
        total, zipped = w["html"] + w["files"], w["html_gzip"] + w["files_gzip"]
        lines.append(f"| {name} | {w['html']:,} B | {w['files']:,} B | {total:,} B | {zipped:,} B |")
    if missing:
        lines.append("not served (yet): " + ", ".join(missing))
    sys.stdout.write("\n".join(lines) + "\n")
    over = {
        name: w
        for name, w in figures.items()
        if w["html"] + w["files"] > RAW_BUDGET or w["html_gzip"] + w["files_gzip"] > GZIP_BUDGET
    }
    assert not over, over
    assert {"sign-in", "overview", "reports (inbox, 50 a page)", "report"} <= figures.keys()
