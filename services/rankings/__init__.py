"""Rankings: users, one-best dish rankings, reviews, follows, points, badges, careers (SPEC §4)."""
