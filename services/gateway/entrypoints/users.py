"""Accounts, sign-in, profiles, follows and badges (routes mixed into GatewayService)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.domain.access import ANYONE, SIGNED_IN
from services.gateway.domain.auth import issue_token
from services.gateway.entrypoints.common import USER
from services.gateway.http import forwarded, idempotency_key, json_body, route
from services.gateway.schemas import AccessTokenSchema
from services.rankings.contract.rpc import (
    BadgeProgressSchema,
    CredentialsInput,
    FollowerSchema,
    FollowSchema,
    FollowsQuery,
    PasswordChangeInput,
    PublicProfileSchema,
    RefreshInput,
    RegisterInput,
    UserPrivateSchema,
    UserUpdateInput,
)
from shared.errors import ServiceUnavailable, Unauthorized
from shared.schemas import load


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

    @route("GET", USER + "/badges", summary="Every badge, with the user's progress to it",
           tag="users", response=BadgeProgressSchema, many=True, errors=(404,), access=ANYONE)
    def list_badges(self, request, user_id):
        return self.rankings.get_user_badges(str(user_id))
