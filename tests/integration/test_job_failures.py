"""A scheduled run that fails is tried again with the same scheduled time, then ends on its job's
dead-letter queue, as Scheduler and Lambda do in AWS; `crm trigger` says so and exits non-zero."""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3
from moto import mock_aws

from crm import cli, topology
from crm.local import jobs, provision


class FailingInvoker:
    """Stands in for the Lambda runtime of a job whose run raises every time."""

    def __init__(self, failures: int) -> None:
        self.failures, self.events = failures, []

    def invoke(self, function: topology.Function, event: dict[str, Any]) -> Any:
        self.events.append(json.loads(json.dumps(event)))
        if len(self.events) <= self.failures:
            raise RuntimeError(f"{function.name} could not finish")
        return {"done": True}


def test_a_run_failing_every_attempt_lands_on_its_dead_letter_queue() -> None:
    schedule, _ = jobs.find_job("callbacks")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queues = provision.create_dead_letter_queues(sqs)
        assert set(queues) == {s.job for s, _ in topology.schedules()}

        def dead_letters(job: str, failure: dict[str, Any]) -> None:
            sqs.send_message(QueueUrl=queues[job], MessageBody=json.dumps(failure))

        invoker = FailingInvoker(failures=99)
        result = jobs.trigger(invoker, "callbacks", "2026-06-05T06:00:00+08:00", dead_letters=dead_letters)  # type: ignore[arg-type]
        assert result["failed"] is True
        assert result["attempts"] == len(invoker.events) == 1 + schedule.retry_attempts
        assert "could not finish" in result["error"]
        # every attempt for the same scheduled time: that is what makes a retry idempotent
        assert {event["time"] for event in invoker.events} == {"2026-06-04T22:00:00Z"}
        assert [event["detail"]["attempt"] for event in invoker.events] == ["1", "2", "3"]
        (message,) = sqs.receive_message(QueueUrl=queues["callbacks"], MaxNumberOfMessages=10)["Messages"]
        assert json.loads(message["Body"])["event"]["time"] == "2026-06-04T22:00:00Z"


def test_a_run_that_succeeds_on_a_retry_is_not_dead_lettered() -> None:
    kept: list[Any] = []
    invoker = FailingInvoker(failures=1)
    result = jobs.trigger(invoker, "sla-sweep", "2026-06-05T10:00:00+08:00", dead_letters=lambda *a: kept.append(a))  # type: ignore[arg-type]
    assert (result["result"], result["attempts"]) == ({"done": True}, 2)
    assert not kept


def test_crm_trigger_reports_a_failed_run_and_exits_non_zero(monkeypatch, capsys) -> None:
    failure = {"job": "callbacks", "failed": True, "attempts": 3, "error": "RuntimeError: boom"}
    monkeypatch.setattr(cli, "_call_local", lambda port, endpoint, body: failure)
    assert cli._trigger(argparse.Namespace(port=3000, job="callbacks", at=None)) == 1
    assert "dead-letter queue" in capsys.readouterr().err
    monkeypatch.setattr(cli, "_call_local", lambda port, endpoint, body: {"job": "callbacks", "result": {}})
    assert cli._trigger(argparse.Namespace(port=3000, job="callbacks", at=None)) == 0
