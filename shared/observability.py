"""Logger, tracer and metrics shared by every layer.

Service name and namespace are constants here rather than POWERTOOLS_* variables, so importing a
handler never depends on the environment being set first; the log level still comes from
POWERTOOLS_LOG_LEVEL (template.yaml)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "lms"
METRICS_NAMESPACE = "LMS"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
