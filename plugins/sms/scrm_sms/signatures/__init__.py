"""SMS signatures (短信签名): filed per tenant and provider account, reviewed by the provider (pending → approved /
rejected with a reason); only approved signatures are usable. Tables in branch ``sms_templates``."""
