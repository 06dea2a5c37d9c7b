"""MediaRegistration: S3 `ObjectCreated` events under `media/` (delivered at least once).

An error fails the invocation, so Lambda retries it and then sends it to the on-failure
destination (template.yaml): no upload is silently left pending."""

from dataclasses import asdict
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.media_registration import register_object


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    # S3 sends keys URL-encoded ("+" for a space).
    registered = [register_object(unquote_plus(record["s3"]["object"]["key"])) for record in event.records]
    return {"registered": [asdict(registration) for registration in registered]}
