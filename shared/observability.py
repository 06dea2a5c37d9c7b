"""Logger, tracer and metrics shared by every layer.

Service name and namespace are constants here rather than POWERTOOLS_* variables, so importing a
handler never depends on the environment being set first; the log level still comes from
POWERTOOLS_LOG_LEVEL (template.yaml)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "lms"
METRICS_NAMESPACE = "LMS"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


def count(event: str) -> None:
    """One business event (a course created, an attempt completed…) as a CloudWatch metric."""
    metrics.add_metric(name=event, unit=MetricUnit.Count, value=1)
