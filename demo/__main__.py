"""`python -m demo load [--base URL] [--workers N] [--quiet] [--json]`

Loads the living demo into the system whose gateway is at --base (default
http://127.0.0.1:8000; its broker is AMQP_URI's, where the past weeks' views are
published), adding only what is missing, and prints what it added and the demo owner's
credentials. DEMO_OWNER_PASSWORD is the owner's password; unset, a random one is made and
printed once, when the account is made. Exit status 1 if any part failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import requests

from demo.api import Api, ApiError
from demo.load import Loader, Report
from demo.owner import OWNER_EMAIL
from shared.config import amqp_uri

ORDER = ("owner account", "owner restaurants and dishes", "people", "profiles", "follows",
         "rankings", "taste notes", "reviews", "likes", "comments", "orders", "order moves",
         "views")


def summary(report: Report) -> str:
    added = [f"{report.added[what]:,} {what}" for what in ORDER if report.added[what]]
    if added:
        said = f"demo: added {', '.join(added)}"
    elif report.notes or report.errors:
        said = "demo: nothing added"  # the notes say what could not be
    else:
        said = "demo: nothing to add, every part is there"
    return f"{said} ({report.seconds:.1f} s)"


def owner_line(report: Report) -> str:
    owner = report.owner
    if owner is None:
        return f"demo owner: {OWNER_EMAIL} (not reached)"
    if owner.password_printed:
        return f"demo owner: {OWNER_EMAIL}, password {owner.password_printed} (printed this once)"
    if os.environ.get("DEMO_OWNER_PASSWORD") and owner.token:
        return f"demo owner: {OWNER_EMAIL}, password from DEMO_OWNER_PASSWORD"
    return (f"demo owner: {OWNER_EMAIL} (its password is the one printed when it was made; "
            "start with DEMO_OWNER_PASSWORD=... to use yours)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[2])
    parser.add_argument("command", choices=["load"])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the gateway")
    parser.add_argument("--workers", type=int, default=8, help="requests at once")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (the owner's password left out)")
    args = parser.parse_args(argv)
    loader = Loader(Api(args.base, args.workers), amqp_uri(), args.workers, args.quiet)
    try:
        report = loader.run(os.environ.get("DEMO_OWNER_PASSWORD") or None)
    except KeyboardInterrupt:
        return 130
    except (requests.RequestException, ApiError) as exc:
        print(f"demo: stopped: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"added": dict(report.added), "notes": report.notes,
                          "errors": report.errors, "settled": report.settled,
                          "seconds": round(report.seconds, 1),
                          "owner_created": bool(report.owner and report.owner.created)}))
    else:
        print(summary(report))
        for note in report.notes:
            print(f"demo: {note}")
        print(owner_line(report))
    for error in report.errors:
        print(f"demo: failed: {error}", file=sys.stderr)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
