"""Users: what rankings accepts and answers about accounts and profiles, and what it announces.

No schema here has a password field that dumps: a password is only ever loaded.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from services.rankings.schemas.rewards import BadgeProgressSchema, CareerSchema

USERNAME_PATTERN = r"[A-Za-z0-9_.-]{3,50}\Z"
PASSWORD_LENGTH = {"min": 8, "max": 128}
MAX_EMAIL_LENGTH = 254

# Regexp matches at the start, so allow leading whitespace before the first visible character
NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


def text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def name(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)


def web_url(**kwargs) -> fields.Url:
    """An http(s) URL a client may show or fetch (no javascript:, data: or file: URLs)."""
    return fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500), **kwargs)


class TrimmedEmail(fields.Email):
    """An email address without the spaces a form may have added around it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


# --- what rankings accepts -------------------------------------------------------------------

class RegisterInput(Schema):
    class Meta:
        unknown = RAISE

    email = TrimmedEmail(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    username = fields.String(required=True, validate=validate.Regexp(
        USERNAME_PATTERN, error="3 to 50 letters, digits, '_', '.' or '-'"))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(**PASSWORD_LENGTH))
    display_name = name(100, allow_none=True)


class CredentialsInput(Schema):
    """What a login sends: any password length up to the maximum is checked, not judged."""

    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(max=PASSWORD_LENGTH["max"]))


class UserUpdateInput(Schema):
    """A user's own profile edits; every field optional, null clears it."""

    class Meta:
        unknown = RAISE

    display_name = name(100, allow_none=True)
    bio = text(2000, allow_none=True)
    location = text(100, allow_none=True)
    profile_image_url = web_url(allow_none=True)


# --- what rankings answers -------------------------------------------------------------------

class UserPrivateSchema(Schema):
    """A user as they themselves (and the gateway's auth) see the account."""

    id = fields.UUID()
    email = fields.String()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    profile_image_url = fields.String(allow_none=True)
    role = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ProfileLiteSchema(Schema):
    """Enough of a user to show their name and picture next to what they did."""

    id = fields.UUID()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    profile_image_url = fields.String(allow_none=True)


class PublicProfileSchema(ProfileLiteSchema):
    """What anyone sees of a user; points, badges and career come from the rewards area."""

    bio = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    followers_count = fields.Integer()
    following_count = fields.Integer()
    ranking_count = fields.Integer()
    review_count = fields.Integer()
    points = fields.Integer()
    badges = fields.List(fields.Nested(BadgeProgressSchema))
    career = fields.Nested(CareerSchema)


# --- what rankings announces -----------------------------------------------------------------

class UserRegisteredSchema(Schema):
    user_id = fields.UUID(attribute="id")
    username = fields.String()
    created_at = fields.AwareDateTime()
