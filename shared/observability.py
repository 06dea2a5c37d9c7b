"""Logger and metrics shared by every layer.

Service name and namespace are constants here rather than POWERTOOLS_* variables, so importing a
handler never depends on the environment being set first; the log level still comes from
POWERTOOLS_LOG_LEVEL (template.yaml).

No Powertools Tracer: it loads the X-Ray SDK (and botocore's session machinery with it) at import,
about 0.3-0.6 s of every cold start measured in bench/ (docs/PERFORMANCE.md). The functions keep
X-Ray's Active tracing from Lambda itself (template.yaml), without SDK subsegments."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "lms"
METRICS_NAMESPACE = "LMS"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)


def count(event: str) -> None:
    """One business event (a course created, an attempt completed…) as a CloudWatch metric."""
    metrics.add_metric(name=event, unit=MetricUnit.Count, value=1)
