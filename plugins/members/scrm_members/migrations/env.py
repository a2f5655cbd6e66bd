from scrm.sdk.migrations import run_migrations

import scrm_members.models  # noqa: F401,E402  (registers every table of the plugin)

run_migrations()
