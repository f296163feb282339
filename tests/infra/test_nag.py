"""cdk-nag AwsSolutions runs on every synth, fails it on any finding, and every acknowledgement
of a finding says why it is accepted, on the construct it concerns (never stack- or app-wide)."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Stack, Validations
from aws_cdk import aws_sqs as sqs

from infra.app import build_app


def _acknowledgements(synthesised):
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for construct in synthesised.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                for finding, reason in entry.data.items():
                    yield construct, finding, reason


def test_synth_passes_cdk_nag(synthesised):
    """The session fixture synthesised with AwsSolutionsChecks; getting here means no finding was left."""
    report = json.loads((synthesised.assembly_dir / "validation-report.json").read_text())
    assert not [
        violation
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        if plugin["conclusion"] != "success"
    ]


def test_every_acknowledgement_has_a_reason_and_a_precise_scope(synthesised):
    acknowledgements = list(_acknowledgements(synthesised))
    assert acknowledgements
    for construct, finding, reason in acknowledgements:
        assert "AwsSolutions-" in finding
        assert len(reason.strip()) >= 40, f"{finding} on {construct.node.path}: say why"
        assert not isinstance(construct, Stack), f"{finding} is acknowledged for the whole stack"


def test_a_finding_fails_synth(tmp_path):
    outdir = tmp_path / "cdk.out"
    app, stack = build_app(outdir)
    sqs.Queue(stack, "Careless", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    findings = {
        (violation["ruleName"], construct["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }
    assert ("AwsSolutions-SQS4", f"{stack.stack_name}/Careless/Resource") in findings
    assert {path for _, path in findings} == {f"{stack.stack_name}/Careless/Resource"}
