import scrm_members.models  # noqa: F401,E402  (registers every table of the plugin)

from scrm.sdk.migrations import run_migrations

run_migrations()
