"""SMS templates (短信模板): custom templates reviewed by the carrier through the provider (待审核 → 审核成功 /
驳回(reason)) and the pre-approved system templates seeded per tenant. Tables in branch ``sms_templates``."""
