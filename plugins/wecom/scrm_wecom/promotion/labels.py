"""The texts of the promotion cards to employees (in the platform's message language, ``messaging.i18n``) and the
form's error messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..messaging.i18n import translator
from .models import PromotionActivity, Standard

_ = translator()

#: the form's messages by the codes ``service.validate`` raises
ERRORS = {
    "name": _l("Enter a name of 1 to 50 characters."),
    "description": _l("The description is at most 500 characters."),
    "account": _l("Choose a WeCom account."),
    "period": _l("Enter a start date and an end date on or after it."),
    "period_past": _l("The activity must end today or later."),
    "start_running": _l("The activity has started: its start date can no longer change."),
    "ended": _l("The activity has ended and can no longer be edited."),
    "employees": _l("Choose active employees and departments of this brand."),
    "no_employees": _l("Choose at least one active employee or department with active employees."),
    "too_many_employees": _l("At most 500 employees per activity."),
    "target": _l("Choose a live code or a link."),
    "link_url": _l("Enter an http(s) address for the link."),
    "standard": _l("Choose what the standard counts."),
    "standard_target": _l("New friends count with a live code, clicks with a link."),
    "standard_count": _l("Enter a number from 1 to 100000."),
    "remind_mode": _l("Choose how often to remind."),
    "remind_days": _l("Enter 0 to 30 days."),
    "reward": _l("Choose a reward."),
    "webhook_url": _l("Enter the http(s) address of the reward webhook."),
    "webhook_auth": _l("Choose an authentication method."),
    "basic": _l("Basic authentication needs a user name and a password."),
    "secret": _l("The secret key has at least 16 characters."),
    "oauth2": _l("OAuth2 needs the token address, a client id and a client secret."),
    "sms_template": _l("Choose an approved SMS template with a reward code variable."),
    "tags": _l("Choose tags from this brand's customer tags."),
    "too_many_tags": _l("An activity gives at most 20 tags."),
    "tags_target": _l("Tags are given to customers added through a live code: a link click has no known customer."),
    "sms_unavailable": _l("A reward by SMS needs the SMS plugin and an approved SMS template with a reward code "
                          "variable."),
}

#: the reasons of failed rewards by their code (the text before the first colon of ``last_error``, ``sms``)
REWARD_ERRORS = {
    "sms_unavailable": _l("The SMS template is no longer offered (SMS disabled for the brand, or the template "
                          "withdrawn)."),
    "no_mobile": _l("The employee has no mobile number in the address book."),
}


def _unit(activity: PromotionActivity) -> str:
    return _("new friends") if activity.standard == Standard.FRIENDS else _("clicks")


def poster_card(activity: PromotionActivity) -> tuple[str, str]:
    return (_("Promotion: %(name)s", name=activity.name),
            _("Your exclusive poster and link are ready. Target: %(n)s %(unit)s.", n=activity.standard_count,
              unit=_unit(activity)))


def target_card(activity: PromotionActivity, count: int) -> tuple[str, str]:
    return (_("Target reached: %(name)s", name=activity.name),
            _("You have %(count)s %(unit)s; the standard is %(n)s.", count=count, unit=_unit(activity),
              n=activity.standard_count))


def below_card(activity: PromotionActivity, count: int) -> tuple[str, str]:
    return (_("Promotion ends soon: %(name)s", name=activity.name),
            _("You have %(count)s of %(n)s %(unit)s. Share your poster before the end.", count=count,
              n=activity.standard_count, unit=_unit(activity)))


def poster_hint(activity: PromotionActivity) -> str:
    if activity.standard == Standard.FRIENDS:
        return _("Scan to add me on WeCom")
    return _("Scan to open")
