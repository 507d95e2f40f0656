"""Reviews, likes and comments (routes mixed into GatewayService)."""

from __future__ import annotations

from services.gateway.contract.events import RESTAURANT_REVIEWS_VIEWED
from services.gateway.domain import views
from services.gateway.domain.access import ANYONE, SIGNED_IN
from services.gateway.entrypoints.common import AUTHOR, RESTAURANT, REVIEW
from services.gateway.http import forwarded, idempotency_key, json_body, route
from services.rankings.contract.rpc import (
    CommentInput,
    CommentSchema,
    CommentsQuery,
    LikeSchema,
    ReviewInput,
    ReviewSchema,
    ReviewsQuery,
)


class ReviewsRoutes:
    @route("GET", RESTAURANT + "/reviews", summary="A restaurant's reviews, newest first",
           tag="reviews", query=ReviewsQuery, response=ReviewSchema, paged=True,
           errors=(400, 404), access=ANYONE, counts_views=True)
    def list_reviews(self, request, restaurant_id):
        args, _ = forwarded(ReviewsQuery, request)
        reviews = self.rankings.list_reviews(str(restaurant_id), **args)
        self.emit_view_event(RESTAURANT_REVIEWS_VIEWED, views.restaurant_event(
            str(restaurant_id), self.view_context(request)))
        return reviews

    @route("POST", RESTAURANT + "/reviews", summary="Review a restaurant (once)",
           tag="reviews", body=ReviewInput, response=ReviewSchema, status=201,
           errors=(404, 413, 422), access=SIGNED_IN)
    def create_review(self, request, restaurant_id):
        user_id = request.identity.user_id
        return self.rankings.create_review(user_id, str(restaurant_id), json_body(request),
                                           idempotency_key(request))

    @route("PATCH", REVIEW, summary="Change your review", tag="reviews", body=ReviewInput,
           response=ReviewSchema, errors=(403, 404, 413, 422), access=AUTHOR)
    def update_review(self, request, review_id):
        user_id = request.identity.user_id
        return self.rankings.update_review(user_id, str(review_id), json_body(request),
                                           idempotency_key(request))

    @route("DELETE", REVIEW, summary="Delete your review", tag="reviews", status=204,
           errors=(403, 404), access=AUTHOR)
    def delete_review(self, request, review_id):
        self.rankings.delete_review(request.identity.user_id, str(review_id),
                                    idempotency_key(request))

    @route("POST", REVIEW + "/like", summary="Like a review", tag="reviews",
           response=LikeSchema, errors=(404,), access=SIGNED_IN)
    def like_review(self, request, review_id):
        return self.rankings.like_review(request.identity.user_id, str(review_id),
                                         idempotency_key(request))

    @route("DELETE", REVIEW + "/like", summary="Take back your like", tag="reviews",
           response=LikeSchema, errors=(404,), access=SIGNED_IN)
    def unlike_review(self, request, review_id):
        return self.rankings.unlike_review(request.identity.user_id, str(review_id),
                                           idempotency_key(request))

    @route("GET", REVIEW + "/comments", summary="A review's comments, oldest first",
           tag="reviews", query=CommentsQuery, response=CommentSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_comments(self, request, review_id):
        args, _ = forwarded(CommentsQuery, request)
        return self.rankings.list_comments(str(review_id), **args)

    @route("POST", REVIEW + "/comments", summary="Comment on a review", tag="reviews",
           body=CommentInput, response=CommentSchema, status=201,
           errors=(404, 413, 422), access=SIGNED_IN)
    def add_comment(self, request, review_id):
        user_id = request.identity.user_id
        return self.rankings.add_comment(user_id, str(review_id), json_body(request),
                                         idempotency_key(request))
