"""`liqhunt doctor`: config, key file permissions, clock offset against the venues, journal
writability and terminal capabilities, each OK/WARN/FAIL with what to fix. Exit 1 on any FAIL."""

from __future__ import annotations

import argparse

NAME = "doctor"
HELP = "check config, key file, clock vs venues, journal and terminal; say what to fix"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, metavar="FILE", help="config TOML to validate")
    p.add_argument("--key-file", default=None, metavar="FILE", help="API key file to check (mode 600)")
    p.add_argument("--journal", default=None, metavar="PATH", help="journal path (default: the user data dir)")
    p.add_argument("--venues", default="binance,bybit", help="venues whose clocks to compare (default binance,bybit)")
    p.add_argument("--offline", action="store_true", help="skip the network (clock) checks")
    p.add_argument("--time-endpoint", action="append", default=[], metavar="VENUE=URL", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from core.doctor import exit_code, report, run_checks

    urls = {}
    for spec in args.time_endpoint:
        venue, _, url = spec.partition("=")
        urls[venue.strip()] = url.strip()
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    checks = run_checks(args.config, args.key_file, args.journal, venues, args.offline, urls)
    for line in report(checks):
        print(line)
    return exit_code(checks)
