"""Analytics domain tests: no I/O."""
