"""Building blocks every Bellyfed service shares: config, events, storage, RPC, logging."""
