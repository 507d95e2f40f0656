"""Gateway: the one HTTP entry for web and mobile clients (SPEC §7)."""
