"""Where rankings stores its users (queries; part of RankingsStore)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.rankings.storage.models import DishRanking, Follow, Review, User
from shared.errors import Conflict

# the unique indexes (case-insensitive) that make a second account with one email or
# username impossible, even when two registrations race past the first check
UNIQUE_USER_FIELDS = {"uq_users_email_lower": "email", "uq_users_username_lower": "username"}


def violated_constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


class UsersQueries:
    """Mixed into RankingsStore: `self.session` is the worker's SQLAlchemy session."""

    def get_user(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        return self.session.get(User, user_id, with_for_update=for_update)

    def get_users(self, user_ids: Iterable[uuid.UUID]) -> list[User]:
        ids = list(user_ids)
        if not ids:
            return []
        return list(self.session.scalars(select(User).where(User.id.in_(ids))))

    def user_with_email(self, email: str) -> User | None:
        return self.session.scalars(
            select(User).where(func.lower(User.email) == email.lower())
        ).first()

    def add_user(self, fields: dict) -> User:
        """Conflict when the email or username is taken, in any case.

        The unique indexes decide, so two registrations racing for one name cannot both win.
        """
        user = User(**fields)
        self.session.add(user)
        try:
            self.session.flush()
        except IntegrityError as exc:
            field = UNIQUE_USER_FIELDS.get(violated_constraint(exc))
            if field is None:
                raise
            raise Conflict(f"this {field} is already registered",
                           {"fields": {field: ["already registered"]}}) from None
        self.session.refresh(user)
        return user

    def update_user(self, user: User, fields: dict) -> User:
        for name, value in fields.items():
            setattr(user, name, value)
        self.session.flush()
        self.session.refresh(user)
        return user

    def replace_password_hash(self, user_id: uuid.UUID, old_hash: str, new_hash: str) -> bool:
        """The account's hash is `new_hash` if it still is `old_hash` (a rehash never undoes a
        password change that raced it); its updated_at stays, as nothing the user sees changed.
        Whether it was replaced."""
        replaced = self.session.execute(
            update(User)
            .where(User.id == user_id, User.password_hash == old_hash)
            .values(password_hash=new_hash, updated_at=User.updated_at)
            .execution_options(synchronize_session=False))
        return replaced.rowcount == 1

    def profile_counts(self, user_id: uuid.UUID) -> dict:
        """followers_count, following_count, ranking_count (dishes ranked now), review_count."""
        def count(model, *conditions):
            return select(func.count()).select_from(model).where(*conditions).scalar_subquery()

        row = self.session.execute(select(
            count(Follow, Follow.followed_id == user_id).label("followers_count"),
            count(Follow, Follow.follower_id == user_id).label("following_count"),
            count(DishRanking, DishRanking.user_id == user_id,
                  DishRanking.rank.is_not(None)).label("ranking_count"),
            count(Review, Review.user_id == user_id).label("review_count"),
        )).one()
        return dict(row._mapping)
