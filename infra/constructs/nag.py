"""Acknowledging a cdk-nag finding: always one finding, always with the reason it is accepted."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept `finding` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope` and everything under it."""
    if not reason.strip():
        raise ValueError(f"{finding}: an acknowledgement needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))
