from __future__ import annotations

import typer

from gateway.cli.common import database, err, run, settings_or_exit

app = typer.Typer(no_args_is_help=True, help="Follow-up committees and their members.")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The committee's name, e.g. 'Comité Zégoua-Niangoloko'."),
    areas: list[str] = typer.Option(
        ..., "--area", "-a", help="A commune, cercle/province or region (repeat)."
    ),
    schedule: str = typer.Option("weekly mon 08:00", help="'daily HH:MM' or 'weekly mon HH:MM'."),
    timezone: str = typer.Option("Africa/Bamako", help="e.g. Africa/Bamako, Africa/Ouagadougou."),
) -> None:
    """Register a committee, the areas it covers (any mix, across the border) and its summary schedule."""
    from gateway.committees.schedule import ScheduleError
    from gateway.committees.service import CommitteeError, create_committee

    settings = settings_or_exit(secret=False)

    async def _add() -> None:
        try:
            async with database(settings) as sessions, sessions() as db, db.begin():
                committee = await create_committee(db, name, areas, schedule, timezone)
                err(
                    f"committee {committee.name!r}: first summary due {committee.next_digest_at:%Y-%m-%d %H:%M} UTC"
                )
        except (CommitteeError, ScheduleError) as exc:
            err(str(exc))
            raise typer.Exit(2) from None

    run(_add)


@app.command("member")
def member(
    committee: str = typer.Argument(..., help="The committee's name (case and accents aside)."),
    name: str = typer.Option(..., help="The member's name."),
    phone: str = typer.Option(..., help="Their phone number (+223…, +226…)."),
    language: str = typer.Option("fr", help="fr, bm, dyu or mos."),
    role: str = typer.Option("", help="e.g. mayor, chef de village, police aux frontières."),
    summaries: bool = typer.Option(True, "--summaries/--no-summaries"),
    alerts: bool = typer.Option(True, "--alerts/--no-alerts"),
) -> None:
    """Add a member who receives summaries and/or urgent alerts in their language."""
    from gateway.committees.service import CommitteeError, NewMember, add_member, committee_by_name
    from gateway.wiring import Gateway

    settings = settings_or_exit()

    async def _member() -> None:
        gateway = Gateway.build(settings)
        try:
            async with gateway.sessionmaker() as db, db.begin():
                found = await committee_by_name(db, committee)
                await add_member(
                    db,
                    gateway.vault,
                    found,
                    NewMember(name, phone, language, role, summaries, alerts),
                    settings.default_region,
                )
        except CommitteeError as exc:
            err(str(exc))
            raise typer.Exit(2) from None
        finally:
            await gateway.close()
        err(f"member {name!r} added to {found.name!r}")

    run(_member)


@app.command("list")
def list_committees() -> None:
    """Committees with their areas, members (numbers never shown) and next summary."""
    from sqlalchemy import select

    from gateway.areas.models import Area
    from gateway.committees.models import Committee, CommitteeArea, CommitteeMember

    settings = settings_or_exit(secret=False)

    async def _list() -> None:
        async with database(settings) as sessions, sessions() as db:
            for committee in (await db.execute(select(Committee).order_by(Committee.name))).scalars():
                areas = (
                    (
                        await db.execute(
                            select(Area.name)
                            .join(CommitteeArea, CommitteeArea.area_id == Area.id)
                            .where(CommitteeArea.committee_id == committee.id)
                            .order_by(Area.name)
                        )
                    )
                    .scalars()
                    .all()
                )
                members = (
                    (
                        await db.execute(
                            select(CommitteeMember)
                            .where(CommitteeMember.committee_id == committee.id)
                            .order_by(CommitteeMember.name)
                        )
                    )
                    .scalars()
                    .all()
                )
                print(
                    f"{committee.name} [{committee.schedule} {committee.timezone}; next "
                    f"{committee.next_digest_at:%Y-%m-%d %H:%M} UTC] areas: {', '.join(areas)}"
                )
                for m in members:
                    wants = (
                        "+".join(
                            w
                            for w, on in (
                                ("summaries", m.receives_summaries),
                                ("alerts", m.receives_alerts),
                            )
                            if on
                        )
                        or "nothing"
                    )
                    print(f"    {m.name} ({m.role or '-'}, {m.language}, {wants})")

    run(_list)
