"""Every piece of the topology that can fail has its alarm, to the operators' topic, and the
dashboard shows the API, the streams, the jobs and the queues. Held against the topology (and the
extended one), so a function, stream source, schedule or queue added later cannot go unwatched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm import topology


@pytest.fixture(params=["synthesised", "extended"])
def built(request):
    return request.getfixturevalue(request.param)


def _monitoring(built) -> tuple[dict[str, Any], dict[str, Any]]:
    """The nested stack's template, and what each of its parameters is in the parent template."""
    nested = built.stack.monitoring
    template = json.loads((built.assembly_dir / nested.template_file).read_text())
    resource = built.template["Resources"][built.logical_id(nested.nested_stack_resource)]
    return template, resource["Properties"].get("Parameters", {})


def _alarms(built) -> list[dict[str, Any]]:
    """Every alarm, its dimensions resolved to what they point at in the parent template."""
    template, parameters = _monitoring(built)
    alarms = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        alarm = dict(resource["Properties"])
        alarm["Dimensions"] = {
            dimension["Name"]: parameters.get(dimension["Value"].get("Ref"), dimension["Value"])
            if isinstance(dimension["Value"], dict)
            else dimension["Value"]
            for dimension in alarm.get("Dimensions", [])
        }
        alarms.append(alarm)
    return alarms


def _on(alarms, metric: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    return [a for a in alarms if a["MetricName"] == metric and a["Dimensions"].get(dimension) == value]


def test_every_alarm_goes_to_the_one_encrypted_topic(built):
    template, parameters = _monitoring(built)
    (topic_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    topic = template["Resources"][topic_id]["Properties"]
    key_parameter = topic["KmsMasterKeyId"]["Ref"]
    assert parameters[key_parameter] == {"Fn::GetAtt": [built.logical_id(built.stack.encryption.operations_key), "Arn"]}
    alarms = _alarms(built)
    assert alarms
    assert all(alarm["AlarmActions"] == [{"Ref": topic_id}] for alarm in alarms)
    (subscription,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Condition"] == "HasOperatorEmail"  # subscribed only when an address is given
    assert parameters[subscription["Properties"]["Endpoint"]["Ref"]] == {"Ref": "OperatorEmail"}
    assert built.template["Parameters"]["OperatorEmail"]["Default"] == ""


def test_every_function_has_an_errors_and_a_throttles_alarm(built):
    alarms = _alarms(built)
    for spec in built.functions:
        function = {"Ref": built.function_id(spec.name)}
        for metric in ("Errors", "Throttles"):
            (alarm,) = _on(alarms, metric, "FunctionName", function)
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold"), spec.name


def test_every_stream_consumer_alarms_when_it_falls_five_minutes_behind(built):
    alarms = _alarms(built)
    for spec in built.functions:
        on_age = _on(alarms, "IteratorAge", "FunctionName", {"Ref": built.function_id(spec.name)})
        if not spec.streams:
            assert not on_age, spec.name
            continue
        (alarm,) = on_age
        assert (alarm["Statistic"], alarm["Threshold"]) == ("Maximum", 5 * 60 * 1000)


def _work_queues(built) -> dict[str, str]:
    """The logical id of each topology queue → its dead-letter queue's."""
    return {
        built.logical_id(queue.queue): built.logical_id(queue.dead_letters)
        for queue in built.stack.queues.queues.values()
    }


def test_every_failure_and_dead_letter_queue_alarms_on_its_first_message(built):
    """Each stream mapping's failure queue, each job's dead-letter queue and each topology queue's
    dead-letter queue: one message is one alarm. (A queue of work has messages by design.)"""
    alarms = _alarms(built)
    work = _work_queues(built)
    assert len(work) == len(built.queues)
    queues = built.resources("AWS::SQS::Queue").keys() - work.keys()
    expected = sum(len(spec.streams) + (spec.schedule is not None) for spec in built.functions) + len(work)
    assert len(queues) == expected
    assert set(work.values()) <= queues
    for queue_id in queues:
        (alarm,) = _on(
            alarms, "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": [queue_id, "QueueName"]}
        )
        assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
            "Maximum",
            0,
            "GreaterThanThreshold",
        )


def test_every_queue_of_work_alarms_when_its_oldest_message_waits_an_hour(built):
    alarms = _alarms(built)
    for queue_id in _work_queues(built):
        name = {"Fn::GetAtt": [queue_id, "QueueName"]}
        (alarm,) = _on(alarms, "ApproximateAgeOfOldestMessage", "QueueName", name)
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Maximum", 60, 3600)
        assert not _on(alarms, "ApproximateNumberOfMessagesVisible", "QueueName", name)
    for spec in built.queues:
        # The alarm rings most of a day, at least, before SQS would drop the message unprocessed.
        assert spec.retention_s >= 24 * 3600, spec.name


def test_every_schedule_is_watched_through_its_dead_letters_and_its_group(built):
    alarms = _alarms(built)
    (group,) = built.properties("AWS::Scheduler::ScheduleGroup").values()
    for metric in ("TargetErrorCount", "InvocationDroppedCount"):
        (alarm,) = [a for a in alarms if a["MetricName"] == metric]
        assert alarm["Namespace"] == "AWS/Scheduler"
        assert alarm["Dimensions"] == {"ScheduleGroup": group["Name"]}
    for spec in built.functions:
        if spec.schedule is None:
            continue
        job = built.stack.functions[spec.name].job
        assert job is not None
        assert _on(
            alarms,
            "ApproximateNumberOfMessagesVisible",
            "QueueName",
            {"Fn::GetAtt": [built.logical_id(job.dead_letters), "QueueName"]},
        )


def test_the_api_alarms_on_more_than_one_percent_5xx_and_a_p99_above_three_seconds(built):
    alarms = _alarms(built)
    (errors,) = [a for a in alarms if a["MetricName"] == "5XXError"]
    assert (errors["Statistic"], errors["Period"], errors["Threshold"]) == ("Average", 300, 0.01)
    (latency,) = [a for a in alarms if a["MetricName"] == "Latency"]
    assert (latency["ExtendedStatistic"], latency["Period"], latency["Threshold"]) == ("p99", 300, 3000)


def test_the_dashboard_shows_the_api_the_streams_the_jobs_and_the_queues(synthesised):
    template, _ = _monitoring(synthesised)
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in ("API: requests", "API: latency", "Streams: iterator age", "Jobs: errors", "dead-letter queues"):
        assert title in body
    assert "Queues of work" in body
    for queue in topology.QUEUES:
        assert queue.name in body
    for schedule, spec in topology.schedules():
        assert spec.name in body, schedule.job
