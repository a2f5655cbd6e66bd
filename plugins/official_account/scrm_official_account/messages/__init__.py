"""消息管理: conversations of the last 48 hours per account, message history, replies through the customer-service
send API (text, image / video materials, enabled quick-reply scripts), and the quick-reply scripts (话术列表)."""
