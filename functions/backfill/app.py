"""Backfill: a one-off function that brings items an earlier version wrote to today's shape
(shared/backfills.py), invoked by hand after a deploy that lists one in docs/DATA-MODEL.md. Each
run stops a minute before its timeout and answers where the next one carries on:

    sam remote invoke BackfillFunction --stack-name <stack> --event '{"name": "listings"}'
    sam remote invoke BackfillFunction --stack-name <stack> --event '{"name": "listings", "resumeFrom": {...}}'
"""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.backfills import BACKFILLS
from shared.observability import logger

MARGIN_SECONDS = 60  # left for the item in hand and the answer


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    name = event.get("name")
    if name not in BACKFILLS:
        raise ValueError(f"Unknown backfill {name!r}; choose one of {', '.join(sorted(BACKFILLS))}.")
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS
    progress = BACKFILLS[name](event.get("resumeFrom"), deadline)
    answer = {"name": name, "changed": progress.changed, "done": progress.resume_from is None}
    answer["resumeFrom"] = progress.resume_from
    # Not `name`: a log record's own attribute, which `extra` may not overwrite (KeyError).
    logger.info("Backfill run", extra={"backfill": name, **{key: answer[key] for key in ("changed", "done")}})
    return answer
