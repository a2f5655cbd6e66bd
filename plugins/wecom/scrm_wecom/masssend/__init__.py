"""Customer and group mass messaging (群发管理, spec wecom-operations §2.4, §2.5, §3.4, §3.5, §4.4, §4.5, §5.2, §5.3).

One :class:`~.models.MassTask` per send; at dispatch one WeCom ``add_msg_template`` task per sending employee
(:class:`~.models.MassMember`), one :class:`~.models.MassRecipient` per customer or group chat, and a ledger row
(``message_delivery``, kind ``mass`` / ``mass_group``) per reached target so the frequency limits read one place.
"""
