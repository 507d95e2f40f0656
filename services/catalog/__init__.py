"""Catalog: restaurants, dishes and cuisines (SPEC §3)."""
