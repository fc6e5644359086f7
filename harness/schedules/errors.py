"""The one error a schedule expression raises, worded like AWS's ValidationException."""

from __future__ import annotations

from ..errors import BadInput


class ScheduleError(BadInput):
    """An expression AWS would reject; the message names the field and the reason."""
