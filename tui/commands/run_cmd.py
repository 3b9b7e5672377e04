"""`liqhunt run`: the console on live venue feeds. Paper trading unless a live broker is chosen
explicitly (`--broker binance|bybit --live`, with a typed confirmation at start-up)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from core.commands.numbers import USD
from core.feeds.registry import DEFAULT_VENUES as _DEFAULTS
from tui.commands._console import add_console_arguments, build_session, fail, load, run_console

NAME = "run"
HELP = "open the console on live exchange feeds (paper broker unless told otherwise)"

DEFAULT_VENUES = ",".join(_DEFAULTS)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--venues",
        default=DEFAULT_VENUES,
        help=f"comma-separated (default {DEFAULT_VENUES}; also hyperliquid: funding/OI only)",
    )
    p.add_argument("--markets", default="", help="only these markets, e.g. BTC,ETH or BTC-USDT-PERP (default all)")
    p.add_argument("--exclude", default="", help="never these markets")
    p.add_argument("--min-usd", type=USD, default=None, help="ignore liquidations smaller than this")
    p.add_argument("--broker", default="paper", help="paper (default), binance-testnet, bybit-testnet, binance, bybit")
    p.add_argument(
        "--live", action="store_true", help="required, with a typed confirmation, for --broker binance|bybit"
    )
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
    from core.feeds.registry import LIVE_VENUES, retired_reason

    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    for v in venues:
        if retired_reason(v):
            return fail(NAME, f"--venues {v}: {retired_reason(v)}; choose from {','.join(LIVE_VENUES)}")
    unknown = [v for v in venues if v not in LIVE_VENUES]
    if unknown or not venues:
        return fail(NAME, f"--venues: unknown {','.join(unknown) or '(none)'}; choose from {','.join(LIVE_VENUES)}")
    cfg = load(NAME, args)
    if isinstance(cfg, int):
        return cfg
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
        broker = make_broker(
            args.broker, args.live, cfg, key_file=args.key_file, now_fn=clock.now, on_alert=alerts.append
        )
    except (BrokerChoiceError, KeyLoadError, ValueError, OSError) as exc:
        return fail(NAME, str(exc))  # the messages are redacted: they never contain a key
    if broker is not None:
        rc = await _start_live_broker(args, cfg, broker, alerts)
        if rc:
            return rc
    source = LiveSource(
        venues, clock, cfg, cache_dir=args.cache_dir, record_to=args.record, ws_base_urls=ws, rest_base_urls=rest
    )
    from core.journal.recovery import live_source_id

    session = build_session(
        cfg,
        clock,
        broker.instruments() if broker else [],
        args.mode,
        args,
        source_label="live",
        venues=venues,
        broker=broker,
        journal_by_default=True,
        source_id=live_source_id(venues, getattr(broker, "name", None) or "paper"),
    )
    if isinstance(session, int):
        if broker is not None:
            await broker.aclose()
        return session
    engine = session.engine
    reconciling = None
    if broker is not None:
        from core.brokers.reconcile_loop import ReconcileLoop
        from core.journal.reconciliation import record_reconciliation

        broker.price_of = engine.mark_of
        journal = session.journal
        # periodic passes are journaled like the start-up one: a resize made while running is what
        # the next restart restores
        reconciling, report = await ReconcileLoop.after_startup(
            engine, broker, on_report=lambda rep: record_reconciliation(journal, engine, rep)
        )
        record_reconciliation(journal, engine, report)
        alerts.append(report.summary())
    try:
        return await run_console(NAME, args, engine, source, clock, cfg, session, notes=alerts)
    finally:
        if reconciling is not None:
            await reconciling.stop()
        if broker is not None:
            await broker.aclose()


async def _start_live_broker(args, cfg, broker, alerts) -> int:
    from core.brokers.confirm import NotConfirmed, open_live_broker
    from core.brokers.factory import LIVE_CHOICES

    limits = {
        "max notional per trade": cfg.risk.max_notional_per_trade_usd,
        "max total notional": cfg.risk.max_total_notional_usd,
        "daily loss limit": cfg.risk.daily_loss_limit_usd,
        "max open positions": cfg.risk.max_open_positions,
    }
    try:  # the typed confirmation comes first: margin type and leverage are set only after it
        summary = await open_live_broker(broker, args.broker, limits, needs_confirmation=args.broker in LIVE_CHOICES)
    except NotConfirmed as exc:
        await broker.aclose()
        return fail(NAME, str(exc))
    except Exception as exc:  # no network, bad keys, margin mode refused: say so and stop before any screen opens
        await broker.aclose()
        return fail(NAME, f"{args.broker}: could not start: {exc}")
    alerts.append(
        ", ".join(
            f"{k} {v}" for k, v in summary.items() if k in ("venue", "key", "wallet_usdt", "available_usdt", "account")
        )
    )
    return 0
