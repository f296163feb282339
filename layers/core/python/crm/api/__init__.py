"""The HTTP edge: resolver factory, identity and access, error mapping, shared models."""
