"""One TOML file holds every tunable. Defaults live here, in the dataclasses, and nowhere else.

Reading and checking a file or a dict against them is core/config_load.py (`load_config`,
`config_from_dict`): an unknown key, a wrong type or a value out of range raises `ConfigError`
naming the key (``risk.max_open_positions``) and the reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from core.config_guard import ConfigError as ConfigError  # defined with the file checks; callers import it from here
from core.playbook_names import PLAYBOOK_CHOICES


def _rng(lo: float | None = None, hi: float | None = None, choices: tuple | None = None, doc: str = "") -> dict:
    return {"lo": lo, "hi": hi, "choices": choices, "doc": doc}


@dataclass
class WindowConfig:
    window_s: float = field(default=90.0, metadata=_rng(10, 600, doc="rolling window length, seconds"))
    short_window_s: float = field(default=10.0, metadata=_rng(1, 120, doc="short horizon for exhaustion (fade)"))
    baseline_halflife_s: float = field(
        default=3600.0, metadata=_rng(60, 86400, doc="half-life of each market's own baseline rate")
    )
    baseline_floor_events_per_s: float = field(default=0.02, metadata=_rng(0, None, doc="baseline floor: events/s"))
    baseline_floor_usd_per_s: float = field(default=2000.0, metadata=_rng(0, None, doc="baseline floor: USD/s"))
    tape_rows: int = field(default=500, metadata=_rng(10, 100000, doc="liquidations kept for the tape"))


@dataclass
class FilterConfig:
    min_usd: float = field(default=0.0, metadata=_rng(0, None, doc="ignore liquidations smaller than this"))
    markets: list[str] = field(default_factory=list, metadata=_rng(doc="only these markets (empty = all)"))
    exclude_markets: list[str] = field(default_factory=list, metadata=_rng(doc="never these markets"))
    sides: list[str] = field(
        default_factory=lambda: ["long", "short"],
        metadata=_rng(choices=("long", "short"), doc="liquidated sides to keep"),
    )


@dataclass
class ScoreConfig:
    w_speed: float = field(default=0.30, metadata=_rng(0, 10, doc="weight of speed"))
    w_size: float = field(default=0.25, metadata=_rng(0, 10, doc="weight of size"))
    w_proximity: float = field(default=0.20, metadata=_rng(0, 10, doc="weight of cluster proximity (fuel ahead)"))
    w_funding: float = field(default=0.15, metadata=_rng(0, 10, doc="weight of funding crowding"))
    w_oi: float = field(default=0.10, metadata=_rng(0, 10, doc="weight of open-interest change"))
    speed_full_ratio: float = field(
        default=30.0, metadata=_rng(1.01, None, doc="rate / baseline that scores speed 1.0")
    )
    size_floor_usd: float = field(default=100_000.0, metadata=_rng(1, None, doc="window USD that scores size 0"))
    size_full_usd: float = field(
        default=50_000_000.0, metadata=_rng(1, None, doc="window USD that scores size 1.0 (log scale)")
    )
    proximity_range_pct: float = field(default=2.0, metadata=_rng(0.1, 20, doc="look this far ahead for fuel"))
    proximity_full_usd: float = field(default=20_000_000.0, metadata=_rng(1, None, doc="fuel ahead that scores 1.0"))
    funding_full_rate: float = field(default=0.0005, metadata=_rng(1e-6, 1, doc="funding per 8 h that scores 1.0"))
    oi_lookback_s: float = field(
        default=1800.0, metadata=_rng(60, 86400, doc="open-interest change measured over this")
    )
    oi_full_pct: float = field(default=3.0, metadata=_rng(0.01, 100, doc="OI rise (%) that scores 1.0"))


@dataclass
class SignalConfig:
    watch_min_usd: float = field(
        default=100_000.0, metadata=_rng(0, None, doc="a single liquidation this large starts watching")
    )
    window_min_usd: float = field(default=5_000_000.0, metadata=_rng(0, None, doc="window USD needed for a signal"))
    min_events: int = field(default=3, metadata=_rng(1, 10000, doc="liquidations in the window needed for a signal"))
    entry_delay_min_s: float = field(
        default=5.0, metadata=_rng(0, 300, doc="earliest signal after the first large liquidation")
    )
    entry_delay_max_s: float = field(
        default=15.0, metadata=_rng(0, 600, doc="latest signal after the first large liquidation")
    )
    signal_ttl_s: float = field(
        default=15.0, metadata=_rng(1, 600, doc="a signal expires this long after it is raised")
    )
    score_min: float = field(default=7.0, metadata=_rng(0, 10, doc="minimum cascade score"))
    require_funding: bool = field(default=True, metadata=_rng(doc="funding must agree with the cascade"))
    funding_min_rate: float = field(
        default=0.0, metadata=_rng(-1, 1, doc="signed funding (crowding of the liquidated side) at least this")
    )
    support_max_pct: float = field(
        default=3.0, metadata=_rng(0, 50, doc="no large opposing cluster within this % (when known)")
    )
    support_min_usd: float = field(
        default=10_000_000.0, metadata=_rng(0, None, doc="a cluster this large counts as support")
    )
    support_window_mult: float = field(
        default=3.0,
        metadata=_rng(
            0, 1000, doc="…and at least this many times the window's liquidated USD (large relative to the cascade)"
        ),
    )
    rearm_after_s: float = field(
        default=60.0, metadata=_rng(0, 3600, doc="after a signal ends, wait this long before watching the market again")
    )


@dataclass
class FadeConfig:
    """The `fade` playbook: enter against a cascade once it has exhausted."""

    exhaustion_drop_pct: float = field(
        default=70.0,
        metadata=_rng(1, 100, doc="short-horizon liquidation rate must fall this much from its episode peak"),
    )
    min_move_pct: float = field(
        default=1.0, metadata=_rng(0, 50, doc="price must have moved this far from where the cascade began")
    )
    quiet_s: float = field(default=5.0, metadata=_rng(0, 600, doc="no new large liquidation for this long"))
    max_wait_s: float = field(
        default=60.0,
        metadata=_rng(1, 3600, doc="give up if exhaustion has not come this long after the last large liquidation"),
    )
    max_retrace_pct: float = field(
        default=35.0, metadata=_rng(0, 100, doc="too late once price has retraced this share of the move")
    )
    min_cascade_usd: float = field(
        default=2_000_000.0, metadata=_rng(0, None, doc="the episode's peak window USD must reach this")
    )
    score_min: float = field(default=7.0, metadata=_rng(0, 10, doc="minimum peak cascade score of the episode"))
    stop_buffer_pct: float = field(
        default=0.3, metadata=_rng(0, 50, doc="stop this far beyond the cascade's extreme (at least)")
    )
    stop_vol_mult: float = field(
        default=1.0,
        metadata=_rng(
            0, 100, doc="…or this many 10-min volatilities (measured before the cascade began), whichever is wider"
        ),
    )
    target_retrace_pct: float = field(
        default=50.0, metadata=_rng(1, 100, doc="take profit when this share of the cascade's move is retraced")
    )
    max_stop_pct: float = field(default=1.5, metadata=_rng(0.05, 50, doc="never a stop wider than this from entry"))
    min_reward_risk: float = field(
        default=0.5, metadata=_rng(0, 100, doc="skip when target distance / stop distance is below this")
    )


@dataclass
class PlaybookConfig:
    default: str = field(
        default="ride", metadata=_rng(choices=PLAYBOOK_CHOICES, doc="ride the cascade, fade the reversal, or both")
    )
    markets: list[str] = field(
        default_factory=list, metadata=_rng(doc='per-market override, e.g. ["BTC-USDT-PERP=fade"]')
    )


@dataclass
class SizingConfig:
    risk_per_trade_usd: float = field(
        default=100.0,
        metadata=_rng(
            0,
            None,
            doc="loss at the stop for score 10 and volume factor 1; size = this × score/10 × volume factor ÷ stop distance",
        ),
    )
    base_size_usd: float = field(
        default=20_000.0,
        metadata=_rng(0, None, doc="largest notional sizing gives one trade (the risk caps apply too)"),
    )
    volume_ref_usd: float = field(
        default=10_000_000.0, metadata=_rng(1, None, doc="window USD giving volume factor 1.0")
    )
    volume_factor_cap: float = field(default=2.0, metadata=_rng(0, 100, doc="cap on the volume factor"))
    min_notional_usd: float = field(default=100.0, metadata=_rng(0, None, doc="skip orders smaller than this"))


@dataclass
class RiskConfig:
    max_trades_per_market_per_day: int = field(default=6, metadata=_rng(0, 1000, doc="entries per market per UTC day"))
    max_open_positions: int = field(default=3, metadata=_rng(0, 1000, doc="concurrent positions"))
    max_notional_per_trade_usd: float = field(default=50_000.0, metadata=_rng(0, None, doc="hard cap per order"))
    max_total_notional_usd: float = field(
        default=150_000.0, metadata=_rng(0, None, doc="hard cap across open positions")
    )
    daily_loss_limit_usd: float = field(
        default=500.0, metadata=_rng(0, None, doc="realised + unrealised loss today that disarms")
    )
    cooldown_after_stop_s: float = field(
        default=300.0, metadata=_rng(0, 86400, doc="no entries on a market this long after a stop")
    )
    block_on_stale_feed: bool = field(default=True, metadata=_rng(doc="no entries while a feed is stale"))


@dataclass
class ExitConfig:
    stop_min_pct: float = field(default=0.8, metadata=_rng(0.05, 50, doc="tightest stop"))
    stop_max_pct: float = field(default=1.5, metadata=_rng(0.05, 50, doc="widest stop"))
    stop_vol_mult: float = field(
        default=2.0, metadata=_rng(0, 100, doc="stop = mult × recent 10-min volatility, clamped")
    )
    vol_lookback_s: float = field(default=900.0, metadata=_rng(30, 86400, doc="volatility measured over this"))
    take_profit_pct: float = field(default=2.0, metadata=_rng(0.05, 100, doc="take profit"))
    exhaustion_drop_pct: float = field(
        default=60.0, metadata=_rng(1, 100, doc="exit when window volume falls this much from its peak")
    )
    max_hold_s: float = field(default=600.0, metadata=_rng(1, 86400, doc="exit after this long"))


@dataclass
class BrokerConfig:
    latency_ms: float = field(default=150.0, metadata=_rng(0, 60000, doc="paper: order to fill"))
    taker_fee_pct: float = field(default=0.05, metadata=_rng(0, 5, doc="paper: fee per fill"))
    slippage_base_bps: float = field(default=1.0, metadata=_rng(0, 1000, doc="paper: slippage on every fill"))
    impact_bps_at_ref: float = field(
        default=2.0, metadata=_rng(0, 1000, doc="paper: impact at impact_ref_usd (grows with sqrt size)")
    )
    impact_ref_usd: float = field(default=100_000.0, metadata=_rng(1, None, doc="paper: size giving impact_bps_at_ref"))
    pressure_bps_per_10m: float = field(
        default=3.0, metadata=_rng(0, 1000, doc="paper: extra slippage per $10M liquidated in our direction")
    )


@dataclass
class LiveConfig:
    """Live brokers only (`liqhunt run --broker …`)."""

    default_leverage: float = field(
        default=2.0, metadata=_rng(1, 125, doc="leverage set on each market before its first trade")
    )
    leverage: list[str] = field(
        default_factory=list, metadata=_rng(doc='per-market leverage, e.g. ["BTC-USDT-PERP=3"]')
    )
    margin_mode: str = field(
        default="isolated",
        metadata=_rng(
            choices=("isolated", "cross"),
            doc="margin mode: set per market on Binance; on a Bybit unified account it is the account's own and must already match",
        ),
    )
    watch_interval_s: float = field(
        default=2.0,
        metadata=_rng(
            0.5,
            60,
            doc="exchange-side stops are polled this often while the private stream is down or silent (every 30 s while it delivers)",
        ),
    )
    reconcile_interval_s: float = field(
        default=30.0, metadata=_rng(5, 3600, doc="positions reconciled with the exchange this often")
    )
    recv_window_ms: int = field(default=5000, metadata=_rng(1000, 60000, doc="signed-request receive window"))


@dataclass
class UiConfig:
    bell: bool = field(default=True, metadata=_rng(doc="ring the terminal bell on every alert (see [alerts])"))
    theme: str = field(default="liq-dark", metadata=_rng(doc="theme name (themes/*.toml)"))
    large_usd: float = field(default=250_000.0, metadata=_rng(0, None, doc="tape rows this large are bold"))
    refresh_hz: float = field(
        default=4.0,
        metadata=_rng(
            0.5,
            30,
            doc="screen refreshes per second (each costs SSH bandwidth: ~25 KB per busy frame at 120×40 truecolor)",
        ),
    )


@dataclass
class AlertsConfig:
    kinds: list[str] = field(
        default_factory=lambda: ["confirm", "entry", "exit", "venue_down", "loss_near", "kill"],
        metadata=_rng(
            choices=("confirm", "entry", "exit", "venue_down", "loss_near", "kill"),
            doc="what raises an alert (bell and webhooks)",
        ),
    )
    loss_near_pct: float = field(
        default=80.0, metadata=_rng(1, 100, doc="alert once a day when the loss reaches this % of the daily limit")
    )
    json_urls: list[str] = field(default_factory=list, metadata=_rng(doc="webhooks that get each alert as a JSON POST"))
    ntfy_urls: list[str] = field(
        default_factory=list, metadata=_rng(doc="ntfy topic URLs, e.g. https://ntfy.sh/my-topic")
    )
    telegram_chat_id: str = field(
        default="", metadata=_rng(doc="Telegram chat for the bot API (token from telegram_token_env)")
    )
    telegram_token_env: str = field(
        default="LIQHUNT_TELEGRAM_TOKEN",
        metadata=_rng(doc="environment variable holding the bot token (never in this file)"),
    )
    telegram_api: str = field(default="https://api.telegram.org", metadata=_rng(doc="Telegram bot API base URL"))
    queue_size: int = field(
        default=100, metadata=_rng(1, 10000, doc="alerts waiting for delivery; the oldest drop first")
    )
    retries: int = field(default=3, metadata=_rng(1, 10, doc="tries per webhook and alert"))
    timeout_s: float = field(default=5.0, metadata=_rng(0.1, 60, doc="per request"))


@dataclass
class FeedConfig:
    stale_after_s: float = field(default=30.0, metadata=_rng(1, 3600, doc="a venue with no message this long is stale"))
    max_price_jump: float = field(
        default=5.0,
        metadata=_rng(
            1.5,
            1000,
            doc="a price more than this many times (or below 1/this of) the market's last good one is rejected as a bad value",
        ),
    )
    max_clock_skew_s: float = field(
        default=120.0,
        metadata=_rng(1, 3600, doc="an exchange time further than this ahead of our receive time is rejected"),
    )


@dataclass
class HeatmapConfig:
    enabled: bool = field(
        default=True,
        metadata=_rng(doc="estimate liquidation levels (feeds the proximity score and the support filter)"),
    )
    bucket_pct: float = field(default=0.1, metadata=_rng(0.01, 5, doc="relative width of one price bucket, %"))
    range_pct: float = field(
        default=30.0, metadata=_rng(1, 90, doc="keep estimated levels this far from price (bounds memory)")
    )
    leverages: list[int] = field(
        default_factory=lambda: [5, 10, 20, 25, 50, 75, 100],
        metadata=_rng(doc="leverage tiers new positions are spread over"),
    )
    leverage_weights: list[float] = field(
        default_factory=lambda: [0.15, 0.25, 0.15, 0.15, 0.15, 0.08, 0.07],
        metadata=_rng(doc="share of new open interest per leverage tier (normalised)"),
    )
    leveraged_share: float = field(
        default=1.0, metadata=_rng(0, 1, doc="share of an open-interest rise assumed leveraged")
    )
    long_share: float = field(
        default=0.5, metadata=_rng(0, 1, doc="share of new open interest that is long, before the funding tilt")
    )
    funding_tilt: float = field(
        default=0.0,
        metadata=_rng(0, 10, doc="long share added per 0.1 %/8h of funding above funding_neutral_rate (0 = no tilt)"),
    )
    funding_neutral_rate: float = field(
        default=0.0001, metadata=_rng(-1, 1, doc="funding per 8 h that means balanced sides")
    )
    position_usd: float = field(
        default=50_000.0,
        metadata=_rng(1, None, doc="typical single position, to pick the venue's maintenance-margin tier"),
    )
    half_life_s: float = field(
        default=6 * 3600.0, metadata=_rng(60, 30 * 86400, doc="estimated mass halves after this long")
    )
    oi_decrease_weight: float = field(
        default=1.0,
        metadata=_rng(0, 1, doc="share of an open-interest fall (net of liquidations) removed from every level"),
    )
    liquidation_consume_pct: float = field(
        default=0.3, metadata=_rng(0, 10, doc="a realised liquidation removes estimated mass this close to its price")
    )
    seed_spread_pct: float = field(
        default=1.5,
        metadata=_rng(
            0, 20, doc="first open interest seen: spread its unknown entries ± this around price (0 = ignore it)"
        ),
    )
    warmup_s: float = field(
        default=0.0, metadata=_rng(0, 86400, doc="answer 'unknown' until OI has been tracked this long")
    )
    cluster_width_pct: float = field(
        default=0.5, metadata=_rng(0.01, 10, doc="a cluster is the mass within this price span")
    )
    realised_keep_s: float = field(
        default=3600.0, metadata=_rng(1, 86400, doc="realised liquidations kept for the overlay")
    )
    depth_stale_s: float = field(
        default=10.0, metadata=_rng(0.1, 3600, doc="order-book depth older than this is ignored")
    )


def check_heatmap_relations(h: HeatmapConfig) -> None:
    """Cross-field rules the per-field ranges cannot express; raises ConfigError naming the key."""
    if not h.leverages:
        raise ConfigError("heatmap.leverages", "needs at least one leverage tier")
    if len(h.leverages) != len(h.leverage_weights):
        raise ConfigError("heatmap.leverage_weights", f"needs one weight per leverage tier ({len(h.leverages)})")
    if any(lev < 1 or lev > 500 for lev in h.leverages):
        raise ConfigError("heatmap.leverages", "each tier must be between 1 and 500")
    if any(w < 0 for w in h.leverage_weights) or sum(h.leverage_weights) <= 0:
        raise ConfigError("heatmap.leverage_weights", "weights must be ≥ 0 with a positive sum")
    if h.cluster_width_pct < h.bucket_pct:
        raise ConfigError("heatmap.cluster_width_pct", "must be at least heatmap.bucket_pct")


@dataclass
class Config:
    window: WindowConfig = field(default_factory=WindowConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    signal: SignalConfig = field(default_factory=SignalConfig)
    playbook: PlaybookConfig = field(default_factory=PlaybookConfig)
    fade: FadeConfig = field(default_factory=FadeConfig)
    sizing: SizingConfig = field(default_factory=SizingConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    exits: ExitConfig = field(default_factory=ExitConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    feeds: FeedConfig = field(default_factory=FeedConfig)
    heatmap: HeatmapConfig = field(default_factory=HeatmapConfig)
    live: LiveConfig = field(default_factory=LiveConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)

    def digest(self) -> str:
        """A short hash of the effective config, for the journal."""
        return hashlib.sha256(dump_config(self).encode()).hexdigest()[:12]


def with_playbook(cfg: Config, playbook: str | None) -> Config:
    """`cfg` with every market on one playbook (a command's --playbook), or unchanged."""
    if not playbook:
        return cfg
    return replace_section(cfg, "playbook", default=playbook, markets=[])


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1000:
        return f"{v:_.1f}"
    return repr(v)


def dump_config(cfg: Config, with_docs: bool = False) -> str:
    out: list[str] = []
    for sec in fields(cfg):
        obj = getattr(cfg, sec.name)
        out.append(f"[{sec.name}]")
        for f in fields(obj):
            line = f"{f.name} = {_toml_value(getattr(obj, f.name))}"
            if with_docs and f.metadata.get("doc"):
                line = f"{line:<44} # {f.metadata['doc']}"
            out.append(line)
        out.append("")
    return "\n".join(out)


def config_reference() -> list[tuple[str, str, str]]:
    """(key, default, meaning) rows for docs/configuration.md (core/config_doc.py)."""
    cfg = Config()
    rows = []
    for sec in fields(cfg):
        obj = getattr(cfg, sec.name)
        for f in fields(obj):
            rows.append((f"{sec.name}.{f.name}", _toml_value(getattr(obj, f.name)), f.metadata.get("doc", "")))
    return rows


def replace_section(cfg: Config, section: str, **changes: Any) -> Config:
    """A copy of `cfg` with some keys of one section changed (used by sweeps and tests)."""
    new = dataclasses.replace(cfg)
    setattr(new, section, dataclasses.replace(getattr(cfg, section), **changes))
    return new
