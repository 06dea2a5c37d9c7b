"""EnrollmentExpiry: the scheduled job (EventBridge schedule) that announces and applies the end
of enrollments. The scheduled event's `time` is the moment it judges by."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.expiry import expire_enrollments
from shared.settings import get_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    scheduled = event.get("time")
    now = datetime.fromisoformat(scheduled) if scheduled else datetime.now(UTC)
    done = expire_enrollments(now, timedelta(days=get_settings().expiry_notice_days), context)
    logger.info("Enrollment expiry run", extra=done)
    return done
