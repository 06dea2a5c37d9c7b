"""The LMS service's own package: every function imports it; it ships as the shared-code layer.

Layers point one way: functions/<group>/app.py -> shared.services -> shared.repository -> DynamoDB.
shared.settings, shared.observability, shared.errors and shared.schemas may be imported by any layer.
"""
