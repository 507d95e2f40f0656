"""Accounts, sign-in, profiles, follows, badges, ranking histories and favorites (routes
mixed into GatewayService)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.domain import answers, identity
from services.gateway.domain.access import ANYONE, SIGNED_IN
from services.gateway.domain.auth import issue_token
from services.gateway.entrypoints.common import RESTAURANT, USER, read_all
from services.gateway.http import forwarded, idempotency_key, json_body, route
from services.gateway.schemas import AccessTokenSchema, FavoriteRestaurantSchema
from services.rankings.contract.rpc import (
    BadgeProgressSchema,
    CredentialsInput,
    FavoritesQuery,
    FollowerSchema,
    FollowSchema,
    FollowsQuery,
    HistoryEntrySchema,
    HistoryQuery,
    PasswordChangeInput,
    PublicProfileSchema,
    RefreshInput,
    RegisterInput,
    UserPrivateSchema,
    UserUpdateInput,
)
from shared.errors import ServiceUnavailable, Unauthorized
from shared.schemas import load, page


def tokens_answer(tokens, session: dict) -> dict:
    """A sign-in's or a refresh's answer: an access token for the session's account, with
    its role now, and the session's next refresh token."""
    answer = issue_token(tokens, session["user_id"], session["role"])
    expires = datetime.fromisoformat(session["refresh_expires_at"])
    return {**answer, "refresh_token": session["refresh_token"],
            "refresh_expires_in": max(int((expires - datetime.now(UTC)).total_seconds()), 0)}


class UsersRoutes:
    @route("POST", "/auth/register", summary="Create an account", tag="users",
           body=RegisterInput, response=UserPrivateSchema, status=201,
           errors=(400, 409, 413, 422), access=ANYONE)
    def register(self, request):
        return self.rankings.register_user(json_body(request), idempotency_key(request))

    @route("POST", "/auth/login", summary="Sign in: an access token for the Authorization "
           "header", tag="users", body=CredentialsInput, response=AccessTokenSchema,
           errors=(400, 401, 413, 422, 429), access=ANYONE)
    def login(self, request):
        credentials = load(CredentialsInput, json_body(request))
        if self.auth.tokens is None:
            raise ServiceUnavailable("sign-in is not configured on this gateway")
        # checked, verified and counted while holding the account's one attempt slot
        with self.auth.throttle.attempt(credentials["email"],
                                        self.auth.client(request)) as attempt:
            try:
                user = self.rankings.verify_credentials(credentials["email"],
                                                        credentials["password"])
            except Unauthorized:
                attempt.failed()
                raise
            attempt.succeeded()
        return tokens_answer(self.auth.tokens, self.rankings.open_session(user["id"]))

    @route("POST", "/auth/refresh", summary="The next access token, for a refresh token "
           "(each is good once: a reused one signs its whole session out)", tag="users",
           body=RefreshInput, response=AccessTokenSchema, errors=(401, 413, 422),
           access=ANYONE)
    def refresh(self, request):
        idempotency_key(request)  # checked as on every write (naturally idempotent here)
        fields = load(RefreshInput, json_body(request))
        if self.auth.tokens is None:
            raise ServiceUnavailable("sign-in is not configured on this gateway")
        return tokens_answer(self.auth.tokens,
                             self.rankings.refresh_session(fields["refresh_token"]))

    @route("POST", "/auth/logout", summary="Sign out: the refresh token's session ends (its "
           "access tokens last until they expire)", tag="users", body=RefreshInput,
           status=204, errors=(413, 422), access=ANYONE)
    def logout(self, request):
        idempotency_key(request)  # checked as on every write (naturally idempotent here)
        fields = load(RefreshInput, json_body(request))
        self.rankings.close_session(fields["refresh_token"])

    @route("POST", "/users/me/password", summary="Change your password: every session of "
           "the account ends", tag="users", body=PasswordChangeInput, status=204,
           errors=(413, 422), access=SIGNED_IN)
    def change_password(self, request):
        idempotency_key(request)  # checked as on every write (naturally idempotent here)
        fields = load(PasswordChangeInput, json_body(request))
        self.rankings.change_password(request.identity.user_id, fields)

    @route("GET", "/users/me", summary="The signed-in user's account", tag="users",
           response=UserPrivateSchema, errors=(404,), access=SIGNED_IN)
    def get_me(self, request):
        return self.rankings.get_user(request.identity.user_id)

    @route("PATCH", "/users/me", summary="Change the signed-in user's profile", tag="users",
           body=UserUpdateInput, response=UserPrivateSchema,
           errors=(404, 413, 422), access=SIGNED_IN)
    def update_me(self, request):
        user_id = request.identity.user_id
        return self.rankings.update_user(user_id, json_body(request), idempotency_key(request))

    @route("GET", USER, summary="A user's public profile: points, badges, career level",
           tag="users", response=PublicProfileSchema, errors=(404,), access=ANYONE)
    def get_profile(self, request, user_id):
        return self.rankings.get_public_profile(str(user_id))

    @route("POST", USER + "/follow", summary="Follow a user", tag="users",
           response=FollowSchema, errors=(404, 422), access=SIGNED_IN)
    def follow(self, request, user_id):
        return self.rankings.follow_user(request.identity.user_id, str(user_id),
                                         idempotency_key(request))

    @route("DELETE", USER + "/follow", summary="Stop following a user", tag="users",
           status=204, errors=(404,), access=SIGNED_IN)
    def unfollow(self, request, user_id):
        self.rankings.unfollow_user(request.identity.user_id, str(user_id),
                                    idempotency_key(request))

    @route("GET", USER + "/followers", summary="Who follows a user, newest first",
           tag="users", query=FollowsQuery, response=FollowerSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_followers(self, request, user_id):
        args, _ = forwarded(FollowsQuery, request)
        return self.rankings.list_followers(str(user_id), **args)

    @route("GET", USER + "/following", summary="Whom a user follows, newest first",
           tag="users", query=FollowsQuery, response=FollowerSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_following(self, request, user_id):
        args, _ = forwarded(FollowsQuery, request)
        return self.rankings.list_following(str(user_id), **args)

    @route("GET", USER + "/badges", summary="Every badge, with the user's progress to it "
           "(all of them, in one page)", tag="users", response=BadgeProgressSchema,
           paged=True, errors=(404,), access=ANYONE)
    def list_badges(self, request, user_id):
        badges = self.rankings.get_user_badges(str(user_id))
        return page(badges, len(badges), 0)

    # not kept by shared caches: whether it may be read is the user's choice, which a
    # cached answer would outlive
    @route("GET", USER + "/rankings/history", summary="How a user's lists changed, newest "
           "first, when they made their history public (history_public)", tag="users",
           query=HistoryQuery, response=HistoryEntrySchema, paged=True,
           errors=(400, 403, 404), access=ANYONE, cache="private")
    def get_user_ranking_history(self, request, user_id):
        args, _ = forwarded(HistoryQuery, request)
        return self.rankings.get_public_ranking_history(
            str(user_id), identity.user_id_of(request.identity), **args)

    # --- favorites: the signed-in user's own, of restaurants the catalog has --------------

    @route("PUT", RESTAURANT + "/favorite", summary="Keep a restaurant as a favorite (again: "
           "changes nothing)", tag="users", response=FavoriteRestaurantSchema,
           errors=(404,), access=SIGNED_IN)
    def favorite_restaurant(self, request, restaurant_id):
        idempotency_key(request)  # checked as on every write (naturally idempotent here)
        restaurant_id = str(restaurant_id)
        restaurant = self.read_model.restaurant(  # 404 if the catalog has no such one
            restaurant_id, lambda: self.catalog.get_restaurant(restaurant_id))
        favorite = self.rankings.favorite_restaurant(request.identity.user_id, restaurant_id)
        return {**favorite, "restaurant": restaurant}

    @route("DELETE", RESTAURANT + "/favorite", summary="Stop keeping a restaurant as a "
           "favorite (not one: changes nothing)", tag="users", status=204, errors=(404,),
           access=SIGNED_IN)
    def unfavorite_restaurant(self, request, restaurant_id):
        idempotency_key(request)  # checked as on every write (naturally idempotent here)
        self.rankings.unfavorite_restaurant(request.identity.user_id, str(restaurant_id))

    @route("GET", "/users/me/favorites", summary="The signed-in user's favorite restaurants, "
           "most recently favorited first", tag="users", query=FavoritesQuery,
           response=FavoriteRestaurantSchema, paged=True, errors=(400, 404),
           access=SIGNED_IN)
    def list_favorites(self, request):
        args, _ = forwarded(FavoritesQuery, request)
        found = self.rankings.list_favorites(request.identity.user_id, **args)
        restaurants = read_all(self.catalog.get_restaurants,
                               answers.ids_to_fetch(found["items"], "restaurant_id"))
        return {**found, "items": answers.joined(found["items"], "restaurant_id",
                                                 restaurants, "restaurant")}
