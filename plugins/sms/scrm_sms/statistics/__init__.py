"""推送统计 (push statistics): summary, push records by date, success details and their export, per category."""
