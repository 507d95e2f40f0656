"""Rankings maintenance jobs, run by hand or by a scheduler:

    python -m services.rankings.jobs recompute-review-summaries
    python -m services.rankings.jobs create-admin EMAIL [--username NAME] [--set-password]
    python -m services.rankings.jobs set-role EMAIL admin|user

`recompute-review-summaries` rebuilds every restaurant's review summary from the
reviews table (the review events keep them current; this repairs them).
`create-admin` is the only way to an admin (SPEC §7: never a request, never an email
address someone registers first): it promotes the account of EMAIL, or creates it (an
admin from the start, registered as any account is: its user_registered event follows)
with the password in ADMIN_PASSWORD, or one typed at a prompt. An existing account keeps
its password unless `--set-password` is given. `set-role` makes an account an admin or
an ordinary user again. A new role is in the user's tokens from their next sign-in or refresh on.
Each prints what it did as JSON (never a password). The database is
RANKINGS_DATABASE_URL's (see services.rankings.config).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from sqlalchemy.orm import Session

from services.rankings import config
from services.rankings.contract.rpc import RegisterInput
from services.rankings.domain import reviews, users
from services.rankings.storage import RankingsStore
from shared.errors import InvalidInput
from shared.postgres import make_engine
from shared.schemas import load

ADMIN_PASSWORD_VARIABLE = "ADMIN_PASSWORD"

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


def create_admin(database_url: str, email: str, password: str | None,
                 username: str | None = None, set_password: bool = False) -> dict:
    """The account of `email` made an admin: promoted, or created with `password` (needed
    then, as when `set_password`). InvalidInput for an email, username or password that
    registering would refuse."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            store = RankingsStore(session, config.SERVICE_NAME)
            existing = store.user_with_email(email)
            created = existing is None
            if created or set_password:
                if password is None:
                    raise InvalidInput("a password is needed", {"fields": {"password": [
                        f"set {ADMIN_PASSWORD_VARIABLE}, or type it at the prompt"]}})
                fields = load(RegisterInput, {
                    "email": email, "password": password,
                    "username": existing.username if existing else (
                        username or email.split("@")[0])})
            session.rollback()  # the look above: each change below is a transaction of its own
            if created:
                users.register_user(store, fields)
            with session.begin():
                user = store.user_with_email(email)
                before, user.role = ("user" if created else user.role), "admin"
                if set_password and not created:
                    user.password_hash = users.hash_password(fields["password"])
                return {"id": str(user.id), "email": user.email, "username": user.username,
                        "role": user.role, "previous_role": None if created else before,
                        "created": created, "password_set": created or set_password}
    finally:
        engine.dispose()


def admin_password(needed: bool) -> str | None:
    """ADMIN_PASSWORD, or typed twice at a prompt (a terminal only), or None."""
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE)
    if password or not needed or not sys.stdin.isatty():
        return password or None
    typed = getpass.getpass("password for the admin: ")
    if typed != getpass.getpass("the same again: "):
        raise InvalidInput("the two passwords differ", {})
    return typed


def account_exists(database_url: str, email: str) -> bool:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return RankingsStore(session, config.SERVICE_NAME).user_with_email(email) is not None
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.rankings.jobs",
                                     description="Rankings maintenance jobs.")
    jobs = parser.add_subparsers(dest="job", required=True)
    jobs.add_parser("recompute-review-summaries", help="rebuild the review summaries")
    admin = jobs.add_parser("create-admin", help="create an admin account, or promote one")
    admin.add_argument("email")
    admin.add_argument("--username", help="for a new account (default: the email's local part)")
    admin.add_argument("--set-password", action="store_true",
                       help="give an existing account the new password too")
    role = jobs.add_parser("set-role", help="make an account an admin or a user")
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    args = parser.parse_args(argv)
    database_url = config.load()["DATABASE_URL"]
    try:
        if args.job == "set-role":
            result = set_role(database_url, args.email.strip().lower(), args.role)
        elif args.job == "create-admin":
            email = args.email.strip().lower()
            password = admin_password(args.set_password or not account_exists(
                database_url, email))
            result = create_admin(database_url, email, password, args.username,
                                  args.set_password)
        else:
            result = recompute_review_summaries(database_url)
    except LookupError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"error: {exc.message}: {json.dumps(exc.details)}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
