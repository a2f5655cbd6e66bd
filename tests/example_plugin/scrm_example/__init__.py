"""Notes: the example plugin of the host's test suite (a page, an API, a setting, a job, an event subscriber, a
table with its own migration, an audience filter and a decision hook)."""
