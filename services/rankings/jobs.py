"""Rankings maintenance jobs, run by hand or by a scheduler:

    python -m services.rankings.jobs recompute-review-summaries

rebuilds every restaurant's review summary from the reviews table (the review
events keep them current; this repairs them) and prints what it counted as JSON.
The database is RANKINGS_DATABASE_URL's (see services.rankings.config).
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy.orm import Session

from services.rankings import config
from services.rankings.domain import reviews
from services.rankings.storage import RankingsStore
from shared.postgres import make_engine


def recompute_review_summaries(database_url: str) -> dict:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return reviews.recompute_review_summaries(RankingsStore(session, config.SERVICE_NAME))
    finally:
        engine.dispose()


JOBS = {"recompute-review-summaries": recompute_review_summaries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.rankings.jobs",
                                     description="Rankings maintenance jobs.")
    parser.add_argument("job", choices=sorted(JOBS))
    args = parser.parse_args(argv)
    result = JOBS[args.job](config.load()["DATABASE_URL"])
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
