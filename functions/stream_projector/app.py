"""StreamProjector: the table's stream (DynamoDB Streams) → events and refreshed copies.

Records that fail are reported one by one (ReportBatchItemFailures), so Lambda retries from the
first of them and everything before it is not done again."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.projection import item_of, project

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def project_record(record: DynamoDBRecord) -> None:
        change = record.dynamodb.raw_event if record.dynamodb else {}
        project(item_of(change.get("OldImage")), item_of(change.get("NewImage")), context)

    response = process_partial_response(
        event=event, record_handler=project_record, processor=processor, context=context
    )
    return dict(response)
