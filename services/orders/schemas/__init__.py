"""Orders payload shapes: what its RPCs accept and answer, and what its events carry."""
