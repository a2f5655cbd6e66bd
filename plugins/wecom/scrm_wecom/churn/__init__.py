"""Churned and deleted customers: one row per lost friendship (from the WeCom callbacks), the two lists with their
exports, the churn reminders by lifecycle stage and the deleted-user notifications (every event or a daily digest)."""
