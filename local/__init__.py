"""The development stack: local API server, token issuer and AWS stand-ins. Never deployed."""
