"""The process settings every suite and benchmark shares: no real AWS, ever, and quiet
Powertools. Applied before anything imports `crm.data`, whose models bind the region at import."""

import os

from crm import config


def apply() -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            # moto's in-process streams need the classic endpoint routing (TOOLCHAIN.md)
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
    )
    # Seeding and assertions outside any function see every table; a handler invoked through
    # crm.local.invoke sees only what its topology entry declares.
    config.use_for_process(config.tooling())
