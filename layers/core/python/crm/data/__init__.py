"""Data access: the only package that touches AWS data services.

PynamoDB models live here and never leave: repositories take and return the domain's value
objects. Table names come from the environment the topology defines (`TABLE_<NAME>`); the
endpoint comes from boto's own configuration (`AWS_ENDPOINT_URL` locally, nothing in AWS).
"""
