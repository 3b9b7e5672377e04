"""`liqhunt run`: the console on live venue feeds. Paper trading unless a live broker is chosen
explicitly (`--broker binance|bybit --live`, with a typed confirmation at start-up)."""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tui.commands._console import add_console_arguments, build_session, fail, load

NAME = "run"
HELP = "open the console on live exchange feeds (paper broker unless told otherwise)"
DEFAULT_VENUES = "binance,bybit,okx,bitmex,deribit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--venues", default=DEFAULT_VENUES, help=f"comma-separated (default {DEFAULT_VENUES}; also hyperliquid: funding/OI only)")
    p.add_argument("--markets", default="", help="only these markets, e.g. BTC,ETH or BTC-USDT-PERP (default all)")
    p.add_argument("--exclude", default="", help="never these markets")
    p.add_argument("--min-usd", type=float, default=None, help="ignore liquidations smaller than this")
    p.add_argument("--broker", default="paper", help="paper (default), binance-testnet, bybit-testnet, binance, bybit")
    p.add_argument("--live", action="store_true", help="required, with a typed confirmation, for --broker binance|bybit")
    p.add_argument("--key-file", default=None, help="API key file (mode 600); otherwise keys come from the environment")
    p.add_argument("--record", type=Path, default=None, metavar="FILE", help="also record every raw frame to FILE")
    p.add_argument("--cache-dir", type=Path, default=None, help="instrument cache (default ~/.cache/liqhunt)")
    p.add_argument("--endpoint", action="append", default=[], metavar="VENUE=URL", help=argparse.SUPPRESS)
    p.add_argument("--rest-endpoint", action="append", default=[], metavar="VENUE=URL", help=argparse.SUPPRESS)
    add_console_arguments(p)


def _names(text: str) -> list[str]:
    return [t.strip().upper() if "-" not in t else t.strip() for t in text.split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    from core.config import replace_section
    from core.feeds.live import parse_endpoints
    from core.feeds.registry import VENUES

    cfg = load(NAME, args)
    if isinstance(cfg, int):
        return cfg
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    unknown = [v for v in venues if v not in VENUES]
    if unknown or not venues:
        return fail(NAME, f"--venues: unknown {','.join(unknown) or '(none)'}; choose from {','.join(VENUES)}")
    changes = {}
    if args.markets:
        changes["markets"] = _names(args.markets)
    if args.exclude:
        changes["exclude_markets"] = _names(args.exclude)
    if args.min_usd is not None:
        if args.min_usd < 0:
            return fail(NAME, "--min-usd must be ≥ 0")
        changes["min_usd"] = float(args.min_usd)
    if changes:
        cfg = replace_section(cfg, "filters", **changes)
    try:
        ws, rest = parse_endpoints(args.endpoint), parse_endpoints(args.rest_endpoint)
    except ValueError as exc:
        return fail(NAME, str(exc))
    try:
        return asyncio.run(_main(args, cfg, venues, ws, rest))
    except KeyboardInterrupt:
        return 130


async def _main(args, cfg, venues, ws, rest) -> int:
    from core.brokers.factory import BROKER_CHOICES, BrokerChoiceError, make_broker
    from core.brokers.keys import KeyLoadError
    from core.clock import WallClock
    from core.live_source import LiveSource

    clock = WallClock()
    broker = None
    if args.broker not in BROKER_CHOICES:
        return fail(NAME, f"--broker: unknown {args.broker!r}; choose from {', '.join(BROKER_CHOICES)}")
    alerts: list[str] = []
    try:
        broker = make_broker(args.broker, args.live, cfg, key_file=args.key_file, now_fn=clock.now, on_alert=alerts.append)
    except (BrokerChoiceError, KeyLoadError, ValueError, OSError) as exc:
        return fail(NAME, str(exc))  # the messages are redacted: they never contain a key
    if broker is not None:
        rc = await _start_live_broker(args, cfg, broker, alerts)
        if rc:
            return rc
    source = LiveSource(venues, clock, cfg, cache_dir=args.cache_dir, record_to=args.record, ws_base_urls=ws, rest_base_urls=rest)
    from core.journal.identity import live_identity
    from core.journal.schema import JournalError

    try:
        session = build_session(cfg, clock, broker.instruments() if broker else [], args.mode, args,
                                source_label="live", venues=venues, broker=broker, journal_by_default=True,
                                source_id=live_identity(venues, getattr(broker, "name", "paper") if broker else "paper"))
    except JournalError as exc:
        if broker is not None:
            await broker.aclose()
        return fail(NAME, str(exc))
    engine = session.engine
    if broker is not None:
        from core.brokers.reconcile import startup_reconcile
        from core.journal.reconciliation import record_reconciliation

        broker.price_of = engine.mark_of
        report = await startup_reconcile(engine, broker)
        record_reconciliation(session.journal, engine, report)
        alerts.append(report.summary())
    try:
        return await _run_app(args, cfg, engine, source, clock, session, alerts)
    finally:
        if broker is not None:
            await broker.aclose()


async def _start_live_broker(args, cfg, broker, alerts) -> int:
    from core.brokers.confirm import NotConfirmed, open_live_broker
    from core.brokers.factory import LIVE_CHOICES

    limits = {"max notional per trade": cfg.risk.max_notional_per_trade_usd, "max total notional": cfg.risk.max_total_notional_usd,
              "daily loss limit": cfg.risk.daily_loss_limit_usd, "max open positions": cfg.risk.max_open_positions}
    try:  # the typed confirmation comes first: margin type and leverage are set only after it
        summary = await open_live_broker(broker, args.broker, limits, needs_confirmation=args.broker in LIVE_CHOICES)
    except NotConfirmed as exc:
        await broker.aclose()
        return fail(NAME, str(exc))
    except Exception as exc:  # no network, bad keys, margin mode refused: say so and stop before any screen opens
        await broker.aclose()
        return fail(NAME, f"{args.broker}: could not start: {exc}")
    alerts.append(", ".join(f"{k} {v}" for k, v in summary.items() if k in ("venue", "key", "wallet_usdt", "available_usdt", "account")))
    return 0


async def _run_app(args, cfg, engine, source, clock, session, alerts) -> int:
    from core.journal.shutdown import install_signal_handlers
    from tui.app import make_app
    from tui.liq_levels import EstimatedLevels

    levels = EstimatedLevels(session.fuel_map) if session.fuel_map is not None else None
    app = make_app(engine, source, clock, cfg, theme=args.theme or cfg.ui.theme or None, levels=levels, journal=session.journal)
    app.startup_notes.extend(a for a in alerts if a)
    if session.restored:
        app.startup_notes.append(f"restored {len(session.restored)} open position(s) from the journal with their stops")
    if session.recovery_note:
        app.startup_notes.append(session.recovery_note)
    uninstall = install_signal_handlers(session.journal, on_signal=lambda name: app.exit(), loop=asyncio.get_running_loop())
    try:
        await app.run_async(mouse=not args.no_mouse)
    finally:
        uninstall()
        session.journal.close()
    return 0
