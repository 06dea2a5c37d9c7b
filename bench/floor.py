"""The cold-start floor (issue 7): the least a function of this design can import and do. The
Powertools HTTP resolver with validation, one PynamoDB model, boto3, and one GetItem answered
with a pydantic model. Every function's cold start is measured against this, in the same run."""

import os
from typing import Any

import boto3  # noqa: F401 - part of the floor by definition: the SDK most Lambda functions load
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

app = APIGatewayHttpResolver(enable_validation=True)


class Item(Model):
    class Meta:
        table_name = os.environ.get("TABLE_NAME", "lms")
        host = os.environ.get("DYNAMODB_ENDPOINT")
        region = os.environ.get("AWS_REGION", "us-east-1")

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")


class Found(BaseModel):
    pk: str
    found: bool


@app.get("/floor/<pk>")
def get_item(pk: str) -> Found:
    try:
        Item.get(pk, "#COURSE", consistent_read=True)
        return Found(pk=pk, found=True)
    except Item.DoesNotExist:
        return Found(pk=pk, found=False)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
