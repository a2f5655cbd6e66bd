"""Labels of the mass-send codes (``code_label``) and the messages of the form's error codes."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

from . import service
from .dispatch import MONTHLY_LIMIT, MONTHLY_LIMIT_CODE
from .events import TEMPLATE_FAILURES
from .models import FAILED, SENDING, SENT, SUBMITTED, WAITING

STATUS = "official_account.mass.status"
MSG_TYPE = "official_account.mass.msg_type"
GENDER = "official_account.fan.gender"

register_labels(STATUS, {WAITING: _l("Waiting"), SENDING: _l("Sending"), SUBMITTED: _l("Submitted to WeChat"),
                         SENT: _l("Sent"), FAILED: _l("Send failed")})
register_labels(MSG_TYPE, {"news": _l("News"), "text": _l("Text"), "image": _l("Image"), "voice": _l("Audio"),
                           "video": _l("Video")})
register_labels(GENDER, {0: _l("Unknown"), 1: _l("Male"), 2: _l("Female")})
register_labels("delivery.reason", {
    MONTHLY_LIMIT_CODE: _l("The fan already received 4 mass messages this month"),
    TEMPLATE_FAILURES["failed:user block"]: _l("The fan refused template messages"),
    TEMPLATE_FAILURES["failed:system failed"]: _l("WeChat failed to send the template message"),
    "oa_template_failed": _l("The template message failed"),
    "AUDIENCE_TOO_SMALL": _l("Fewer than 2 fans left to send to"),
    "AUDIENCE_TOO_LARGE": _l("More than 10,000 fans match"),
})


def error_message(code: str, estimated: int | None = None) -> str:
    texts = {
        service.NOT_VERIFIED_SERVICE_ACCOUNT: lambda: _("Only verified service accounts can mass send."),
        service.AUDIENCE_TOO_SMALL: lambda: _("%(count)s fans match: a mass send needs at least %(min)s.",
                                              count=estimated or 0, min=service.MIN_RECIPIENTS),
        service.AUDIENCE_TOO_LARGE: lambda: _("%(count)s fans match: a mass send reaches at most %(max)s.",
                                              count=estimated or 0, max=f"{service.MAX_RECIPIENTS:,}"),
        service.CONTENT_REQUIRED: lambda: _("Enter the text or choose a material."),
        service.IMMUTABLE_AFTER_SEND: lambda: _("This mass send has started or finished and can no longer be "
                                                "changed."),
        service.TEXT_TOO_LONG: lambda: _("The text is longer than %(max)s characters.", max=service.TEXT_MAX),
        service.TAGS_REQUIRED: lambda: _("Choose at least one official account tag."),
        service.TAG_NOT_OA: lambda: _("Choose official account tags of this account."),
        service.BAD_GENDER: lambda: _("Unknown gender."),
        service.REGION_NOT_CHINA: lambda: _("Choose a province or region of China."),
        service.BAD_FOLLOW_RANGE: lambda: _("The end of the follow time range is before its start."),
        service.BAD_MSG_TYPE: lambda: _("Choose what to send."),
        service.SCHEDULE_REQUIRED: lambda: _("Choose the send time."),
        service.SCHEDULE_IN_PAST: lambda: _("Choose a send time in the future."),
        service.BAD_MODE: lambda: _("Choose one of the options."),
    }
    return texts.get(code, lambda: code)()


def limit_note() -> str:
    return _("Each fan receives at most %(n)s mass messages a month (sends made in the WeChat backend count too); "
             "a fan over the limit is recorded as a failure.", n=MONTHLY_LIMIT)
