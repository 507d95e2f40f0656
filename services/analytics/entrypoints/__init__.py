"""Analytics' entrypoints, grouped by area (mixed into AnalyticsService)."""
