"""cfn-lint on the synthesised template: no error, and no warning or informational finding except
those `infra.lint.IGNORED_RULES` accepts, each with its reason (issue 5, item 6)."""

from __future__ import annotations

import pytest

from infra import lint


@pytest.fixture(scope="session")
def linted(synthesised):
    return lint.lint(*lint.templates(synthesised.assembly_dir))


def test_cfn_lint_finds_no_error(linted):
    assert not linted.errors, linted.report()
    assert not [finding for finding in linted.findings if finding["Level"] == "Error"]


def test_every_warning_and_hint_is_fixed_or_ignored_with_a_reason(linted):
    assert linted.unexplained == (), linted.report()
    assert linted.verdict == 0


def test_no_ignore_outlives_its_reason(linted):
    assert linted.stale_ignores == frozenset(), "remove them from infra.lint.IGNORED_RULES"
    for rule, reason in lint.IGNORED_RULES.items():
        assert len(reason.strip()) >= 40, f"{rule}: say why"


def test_the_exit_code_is_read_as_a_bit_field(tmp_path):
    """A template with an error (E3012), an ignored warning (W3005) and informational findings
    (I3011: no DeletionPolicy); and one that is not there."""
    template = tmp_path / "broken.json"
    template.write_text(
        '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": "soon"}},'
        ' "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Queue", "Properties": {"TopicName": {"Ref": "Queue"}}}}}'
    )
    result = lint.lint(template)
    assert result.exit_code == lint.ERRORS | lint.WARNINGS | lint.INFORMATIONAL
    assert result.errors
    assert result.warnings
    assert result.informational
    assert [finding["Rule"]["Id"] for finding in result.ignored] == ["W3005"]
    # The ignored warning no longer counts; the error and the hints do.
    assert result.verdict == lint.ERRORS | lint.INFORMATIONAL
    assert lint.main([str(template)]) == lint.ERRORS | lint.INFORMATIONAL

    missing = lint.lint(tmp_path / "missing.json")
    assert missing.errors
    assert missing.verdict == lint.ERRORS
