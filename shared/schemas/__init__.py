"""Pydantic models of requests and responses, and the field types they share."""
