"""Contracts between the services: Pact files, the helpers their tests share, the map.

- `contracts/pacts/<consumer>-<provider>.json`: what each consumer relies on (V4 pacts:
  asynchronous messages for events, synchronous messages for RPCs). Written by the
  consumers' tests (`services/<consumer>/tests/contracts/`), verified by the producers'.
- `contracts.consumer`: declaring expectations (matchers, the envelope, RPC replies).
- `contracts.provider`: verifying a pact against a producer's real code.
- `contracts.contract_map`: docs/contracts.md, the table of every event and RPC.

See contracts/README.md.
"""

from pathlib import Path

PACTS = Path(__file__).resolve().parent / "pacts"
