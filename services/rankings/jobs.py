"""Rankings maintenance jobs, run by hand or by a scheduler:

    python -m services.rankings.jobs recompute-review-summaries
    python -m services.rankings.jobs set-role EMAIL admin|user

`recompute-review-summaries` rebuilds every restaurant's review summary from the
reviews table (the review events keep them current; this repairs them).
`set-role` makes an existing account an admin, or an ordinary user again: the way to
an admin besides registering with an address in ADMIN_EMAILS, and never through a
request. The new role is in the user's tokens from their next sign-in on.
Each prints what it did as JSON. The database is RANKINGS_DATABASE_URL's (see
services.rankings.config).
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy.orm import Session

from services.rankings import config
from services.rankings.domain import reviews
from services.rankings.storage import RankingsStore
from shared.postgres import make_engine

ROLES = ("user", "admin")


def recompute_review_summaries(database_url: str) -> dict:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return reviews.recompute_review_summaries(RankingsStore(session, config.SERVICE_NAME))
    finally:
        engine.dispose()


def set_role(database_url: str, email: str, role: str) -> dict:
    """The account of `email` gets `role`; LookupError when there is none."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            user = RankingsStore(session, config.SERVICE_NAME).user_with_email(email)
            if user is None:
                raise LookupError(f"no account has the email {email!r}")
            before, user.role = user.role, role
            return {"id": str(user.id), "email": user.email, "role": role,
                    "previous_role": before}
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.rankings.jobs",
                                     description="Rankings maintenance jobs.")
    jobs = parser.add_subparsers(dest="job", required=True)
    jobs.add_parser("recompute-review-summaries", help="rebuild the review summaries")
    role = jobs.add_parser("set-role", help="make an account an admin or a user")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    args = parser.parse_args(argv)
    database_url = config.load()["DATABASE_URL"]
    try:
        if args.job == "set-role":
            result = set_role(database_url, args.email.strip().lower(), args.role)
        else:
            result = recompute_review_summaries(database_url)
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
