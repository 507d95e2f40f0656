"""Where rankings keeps its data: one store, its queries grouped by area."""

from services.rankings.storage.catalog_facts import CatalogFactQueries
from services.rankings.storage.favorites import FavoritesQueries
from services.rankings.storage.follows import FollowsQueries
from services.rankings.storage.rankings import RankingsQueries
from services.rankings.storage.reviews import ReviewsQueries
from services.rankings.storage.rewards import RewardsQueries
from services.rankings.storage.sessions import SessionsQueries
from services.rankings.storage.users import UsersQueries
from shared.db import Store


class RankingsStore(UsersQueries, SessionsQueries, RankingsQueries, ReviewsQueries,
                    FollowsQueries, FavoritesQueries, RewardsQueries, CatalogFactQueries,
                    Store):
    """A worker's view of the rankings database (see shared.db.Store)."""
