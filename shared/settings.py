"""Typed settings, read from the environment once per cold start (template.yaml sets them).

A plain pydantic model over `os.environ` (by alias) rather than pydantic-settings: that package's
dotenv, CLI and cloud-vault sources cost about 50 ms of every cold start and none is used here."""

import os
from functools import cache
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _comma_separated(value: Any) -> Any:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


class Settings(BaseModel):
    """Everything a function needs to know about its surroundings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(default="lms", alias="TABLE_NAME")
    media_bucket: str = Field(default="lms-media", alias="MEDIA_BUCKET")
    event_bus_name: str = Field(default="lms-events", alias="EVENT_BUS_NAME")
    idempotency_table_name: str = Field(default="lms-idempotency", alias="IDEMPOTENCY_TABLE_NAME")
    # Days before an enrollment's end that `enrollment.expiring` is published.
    expiry_notice_days: int = Field(default=7, ge=0, alias="EXPIRY_NOTICE_DAYS")
    aws_region: str = Field(default="us-east-1", alias="AWS_REGION")
    # Endpoints of local stand-ins (moto, DynamoDB Local); unset in AWS.
    dynamodb_endpoint: str | None = Field(default=None, alias="DYNAMODB_ENDPOINT")
    s3_endpoint: str | None = Field(default=None, alias="S3_ENDPOINT")
    events_endpoint: str | None = Field(default=None, alias="EVENTS_ENDPOINT")

    jwt_issuer: str = Field(default="lms-local", alias="JWT_ISSUER")
    jwt_audience: str = Field(default="lms-api", alias="JWT_AUDIENCE")
    # Off only by choice, for tokens without an audience (Cognito access tokens carry client_id).
    jwt_verify_audience: bool = Field(default=True, alias="JWT_VERIFY_AUDIENCE")
    jwks_url: str = Field(default="http://127.0.0.1:3000/.well-known/jwks.json", alias="JWKS_URL")
    # Comma-separated in the environment: JWT_ALGORITHMS=RS256,ES256.
    jwt_algorithms: Annotated[tuple[str, ...], BeforeValidator(_comma_separated)] = Field(
        default=("RS256",), alias="JWT_ALGORITHMS"
    )
    # Claim names: Cognito works with CLAIM_TENANT=custom:tenantId CLAIM_ROLES=cognito:groups.
    claim_user_id: str = Field(default="sub", alias="CLAIM_USER_ID")
    claim_tenant: str = Field(default="tenantId", alias="CLAIM_TENANT")
    claim_roles: str = Field(default="roles", alias="CLAIM_ROLES")

    @model_validator(mode="after")
    def _audience_set_while_checked(self) -> Self:
        # An empty audience must never silently turn the check off (template.yaml's rule says so too).
        if self.jwt_verify_audience and not self.jwt_audience:
            raise ValueError("JWT_AUDIENCE is empty: set it, or set JWT_VERIFY_AUDIENCE=false to accept any audience")
        return self


@cache
def get_settings() -> Settings:
    """The process-wide settings; tests that change the environment call `get_settings.cache_clear()`."""
    return Settings.model_validate(os.environ)
