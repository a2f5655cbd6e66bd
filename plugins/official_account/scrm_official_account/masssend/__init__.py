"""Mass sends (群发管理) and template messages of official accounts. The public API of this area (other areas and,
through the plugin's package, other plugins use only these names):

* ``send_template(session, tenant_id, account, openid=, template_id=, params=, url=None, ...)``: a template message
  through the outbound path (``template_messages``);
* ``sync_templates(session, client, tenant_id, account)``: the account's template list from WeChat;
* ``MONTHLY_LIMIT`` (4) and ``monthly_counts(...)``: the mass messages per fan per natural month, counted on the
  ledger (rows of purpose ``mass_send`` on the account), for any feature that sends mass messages on an account.
"""

from .dispatch import MONTHLY_LIMIT, monthly_counts
from .template_messages import TemplateError, send_template, sync_templates

__all__ = ["MONTHLY_LIMIT", "TemplateError", "monthly_counts", "send_template", "sync_templates"]
