"""Sending an SMS through Amazon SNS (Publish to a phone number; SMS type from the rule table)."""

from __future__ import annotations

from functools import cache
from typing import Any

from crm.domain.messages import Sms, SmsRules


@cache
def _client() -> Any:
    import boto3

    return boto3.client("sns")


class SmsRefused(Exception):
    """SNS will not deliver to this number (it opted out): the message is logged as not sent."""


def send(sms: Sms, rules: SmsRules) -> str:
    """Publish; returns SNS's message id. Throttling and failures raise (the stream retries)."""
    if sms.to is None:
        raise ValueError("an SMS without a number")
    if _client().check_if_phone_number_is_opted_out(phoneNumber=sms.to).get("isOptedOut"):
        raise SmsRefused("the number has opted out of SMS")
    answer = _client().publish(
        PhoneNumber=sms.to,
        Message=sms.text,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": rules.sms_type},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": rules.sender_id},
        },
    )
    return str(answer["MessageId"])
