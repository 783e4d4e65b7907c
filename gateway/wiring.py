"""Building the pieces a process needs from Settings, once: engine, catalogs, flows, services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.areas.directory import CachedDirectory
from gateway.broadcasts.expander import BroadcastExpander
from gateway.broadcasts.texts import BroadcastTexts
from gateway.committees.notify import CommitteeNotifier
from gateway.committees.placeless import PlacelessAlerts
from gateway.committees.scheduler import DigestScheduler
from gateway.config import Settings
from gateway.db.engine import SessionMaker, create_engine, create_sessionmaker
from gateway.i18n.catalogs import Catalogs
from gateway.outbox.dispatcher import Dispatcher
from gateway.outbox.provider import LogProvider, SmsProvider
from gateway.outbox.routing import ChannelSet
from gateway.outbox.service import Outbox
from gateway.retention.sweep import ConsoleLimits, Sweeper
from gateway.security.keys import PhoneVault
from gateway.security.pseudonyms import Pseudonyms
from gateway.sms.keywords import Keywords
from gateway.sms.service import SmsService
from gateway.ussd.engine import Engine
from gateway.ussd.flows import FlowSet, load_flows
from gateway.ussd.lean import LeanHops
from gateway.ussd.runtime import ACTIONS, SOURCES
from gateway.ussd.service import UssdService
from gateway.ussd.store import SessionStore, session_store


def build_vault(settings: Settings) -> PhoneVault:
    """The current key encrypts and hashes; previous keys (during a rotation) still decrypt and find."""
    return PhoneVault(settings.require_secret_key(), settings.previous_keys)


def build_engine(settings: Settings, catalogs: Catalogs | None = None) -> Engine:
    flows: FlowSet = load_flows(settings.flows_dir, ACTIONS, SOURCES)
    return Engine(
        flows,
        catalogs or Catalogs(settings.locales_dir),
        settings.ussd_screen_limit,
        settings.default_language,
    )


@dataclass
class Gateway:
    settings: Settings
    db_engine: AsyncEngine
    sessionmaker: SessionMaker
    engine: Engine
    vault: PhoneVault
    pseudonyms: Pseudonyms
    directory: CachedDirectory
    ussd: UssdService
    lean: LeanHops
    session_store: SessionStore
    outbox: Outbox
    # The channels the outbox is sent through and the routes between them; `provider` is the
    # first of them (what a single GATEWAY_PROVIDER names).
    channels: ChannelSet
    provider: SmsProvider
    sms: SmsService
    notifier: CommitteeNotifier
    scheduler: DigestScheduler
    texts: BroadcastTexts
    expander: BroadcastExpander
    sweeper: Sweeper
    placeless: PlacelessAlerts

    @classmethod
    def build(
        cls,
        settings: Settings,
        database_url: str | None = None,
        provider: SmsProvider | ChannelSet | None = None,
    ) -> Gateway:
        """Everything a process needs; `provider` (the channels of gateway/channels/providers.py, or
        one provider) sends the outbox, the `log` provider when none is given."""
        channels = (
            provider if isinstance(provider, ChannelSet) else ChannelSet.single(provider or LogProvider())
        )
        db_engine = create_engine(settings, database_url)
        engine = build_engine(settings)
        vault = build_vault(settings)
        pseudonyms = Pseudonyms(settings.require_secret_key())
        directory = CachedDirectory()
        outbox = Outbox(vault, settings.sms_gsm7)
        notifier = CommitteeNotifier(
            outbox, engine.catalogs, vault, directory, settings.locales_dir, settings.reporter_notices_per_day
        )
        sessionmaker = create_sessionmaker(db_engine)
        texts = BroadcastTexts(engine.catalogs, settings.locales_dir)
        store = session_store(
            database_url or settings.database_url, settings.db_pool_size, settings.db_pool_timeout_s
        )
        store.follow(db_engine)
        ussd = UssdService(
            engine,
            vault,
            pseudonyms,
            directory,
            outbox,
            notifier,
            settings.ussd_resume_window_s,
            settings.flood_ussd_sessions_per_min,
        )
        return cls(
            settings=settings,
            db_engine=db_engine,
            sessionmaker=sessionmaker,
            engine=engine,
            vault=vault,
            pseudonyms=pseudonyms,
            directory=directory,
            ussd=ussd,
            lean=LeanHops(ussd, store),
            session_store=store,
            outbox=outbox,
            channels=channels,
            provider=channels.primary,
            sms=SmsService(
                vault,
                outbox,
                engine.catalogs,
                Keywords.load(settings.flows_dir / "sms" / "keywords.yaml"),
                notifier,
                directory,
                settings.sms_followup_window_s,
                settings.flood_sms_per_min,
                settings.sms_followup_ack_interval_s,
            ),
            notifier=notifier,
            scheduler=DigestScheduler(sessionmaker, outbox, engine.catalogs, vault, directory, settings),
            texts=texts,
            expander=BroadcastExpander(sessionmaker, texts, directory, settings),
            sweeper=Sweeper(
                sessionmaker,
                settings.ussd_resume_window_s,
                ConsoleLimits(
                    idle=timedelta(seconds=settings.console_session_idle_s),
                    absolute=timedelta(seconds=settings.console_session_absolute_s),
                ),
            ),
            placeless=PlacelessAlerts(sessionmaker, notifier, settings.sms_place_wait_s),
        )

    def dispatcher(self, worker_id: str | None = None) -> Dispatcher:
        return Dispatcher(self.sessionmaker, self.channels, self.vault, self.settings, worker_id)

    async def background(self, stop: asyncio.Event, worker_id: str | None = None) -> None:
        """What a worker does until `stop` is set: send the outbox, the due summaries, the due
        broadcasts, and forget what retention says must not outlive its minutes."""
        await asyncio.gather(
            self.dispatcher(worker_id).run(stop),
            self.scheduler.run(stop),
            self.expander.run(stop),
            self.sweeper.run(stop),
            self.placeless.run(stop),
        )

    @property
    def dispatch_in_process(self) -> bool:
        configured = self.settings.dispatch_in_process
        return self.settings.is_sqlite if configured is None else configured

    def apology(self, language: str | None) -> str:
        from gateway.i18n.text import finish

        tr = self.engine.catalogs.translator(language or self.settings.default_language)
        return finish(tr.gettext("ussd.error.internal"), tr.code, self.settings.ussd_screen_limit)

    async def close(self) -> None:
        await self.session_store.close()
        await self.db_engine.dispose()
