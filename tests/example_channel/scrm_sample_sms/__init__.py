"""A small SMS channel written the way a third party would, against ``scrm.sdk`` only: the proof of the channel kit.

* accounts: ``SampleSmsAccount`` (the host renders the accounts pages from it; the API key and the callback secrets
  are write-only and encrypted at rest), ``check_account`` against the provider;
* sending: ``capabilities`` (text, template) and ``rate_limit``; features call ``scrm.sdk.send_message`` and the
  platform calls ``deliver`` (one provider call, idempotent by the ledger's key) at the account's rate;
* receiving: ``handle_callback`` verifies and decrypts (``scrm.sdk.wechat``), stores through the platform's inbox and
  answers at once; ``jobs.process_callbacks`` applies delivery reports to the ledger (``mark_delivery_report``) and
  writes customers' replies to their timeline (``scrm.sdk.timeline``);
* ``sandbox``: the provider simulated locally, following ``provider`` (the protocol) error codes included.
"""
