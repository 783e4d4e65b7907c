"""Backup and restore exactly as docs/operations.md tells an operator: `pg_dump -Fc`, `pg_restore
--no-owner` into an empty database, `gateway db upgrade`; then the gateway works on the copy and
reads back the encrypted phone numbers with the same key."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from typer.testing import CliRunner

from gateway.cli import app
from gateway.config import load_settings
from gateway.contacts.models import Contact
from gateway.reports.models import Report
from gateway.wiring import Gateway
from tests.ops.private_postgres import Cluster


async def snapshot(gateway: Gateway) -> tuple[int, list[str], set[str]]:
    async with gateway.sessionmaker() as db:
        reports = (await db.execute(select(func.count()).select_from(Report))).scalar_one()
        references = list((await db.execute(select(Report.reference).order_by(Report.id))).scalars())
        phones = {
            gateway.vault.decrypt(c) for c in (await db.execute(select(Contact.phone_encrypted))).scalars()
        }
    return int(reports), references, phones


async def test_a_dump_restored_into_an_empty_database_is_the_same_gateway(
    cluster: Cluster, private_gateway: tuple[Gateway, httpx.AsyncClient]
) -> None:
    gateway, client = private_gateway
    for i in range(5):
        response = await client.post(
            "/callbacks/africastalking/sms",
            data={"id": f"backup-{i}", "from": f"+2237604{i:04d}", "text": f"Conflit de champ {i}"},
        )
        assert response.status_code == 200
    before = await snapshot(gateway)
    assert before[0] >= 5

    dump = str(cluster.root / "gateway.dump")
    cluster.client("pg_dump", "-Fc", "-f", dump, "postgres")
    cluster.client("createdb", "restored")
    cluster.client("pg_restore", "--no-owner", "-d", "restored", dump)
    result = CliRunner().invoke(
        app,
        ["db", "upgrade"],
        env={
            "GATEWAY_DATABASE_URL": cluster.url("restored"),
            "GATEWAY_SECRET_KEY": gateway.settings.secret_key,
        },
    )
    assert result.exit_code == 0, result.output

    restored = Gateway.build(load_settings(_env_file=None, database_url=cluster.url("restored")))
    try:
        assert await snapshot(restored) == before
        assert "+22376040003" in before[2]  # numbers read back with the same key
    finally:
        await restored.close()
