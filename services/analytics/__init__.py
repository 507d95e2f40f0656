"""Analytics: views, unique viewers, traffic, trending, leaderboards, influence (SPEC §5)."""
