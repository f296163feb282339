"""What a post-complaint callback's attempt does to its complaint (DOMAIN §4, §5): the complaint
half of recording an attempt, apart from crm.services.callbacks so that the callbacks function
loads the complaints' data and rules only when such an attempt comes (P1, cold start)."""

from __future__ import annotations

from datetime import datetime

from crm import rules
from crm.data import callbacks as callback_data
from crm.data import complaints as complaint_data
from crm.domain.callbacks import Attempt, CallbackTask, TaskStatus
from crm.domain.complaints import CallbackResult, Status, plan_callback_done


def follow_through(
    task: CallbackTask, after: CallbackTask, attempt: Attempt, *, now: datetime
) -> list[callback_data.Part]:
    """The complaint's side of a post-complaint callback's attempt: a callback done closes the
    complaint with the client's verdict, one that did not reach the client counts against it."""
    found = complaint_data.get(task.source or "")
    if found is None or found[0].status is not Status.REPLIED:
        return []  # closed by hand after an earlier failure, or not ours to move
    complaint = found[0]
    if after.status is TaskStatus.DONE:
        result = CallbackResult(
            reached=True, satisfaction=attempt.attitude, score=attempt.score, note=attempt.suggestions
        )
        plan = plan_callback_done(complaint, result, by=attempt.by, role=attempt.role, at=now, rules=rules.complaints())
        return [complaint_data.callback_done_part(complaint, plan)]
    if not attempt.reached:
        return [complaint_data.unreached_part(complaint, after.unreached, by=attempt.by, at=now)]
    return []
