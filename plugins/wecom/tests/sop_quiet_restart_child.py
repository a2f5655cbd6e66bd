"""A separate process that runs the SOP "no communication" evaluation of a tenant and stops to be killed (the SOP
quiet restart test): mode ``before_commit`` holds the planned tasks uncommitted, ``after_commit`` commits them and
stops before delivering. Arguments: a JSON object with the platform's settings, the broker namespace, the tenant
id and the mode."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from scrm.core.config import Settings
from scrm.core.db import writer
from scrm.hostapp import create_app


def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(**{**args["settings"], "instance_path": Path(args["settings"]["instance_path"]),
                           "plugins_toml": Path(args["settings"]["plugins_toml"])})
    app = create_app(settings, broker_namespace=args["namespace"], testing=True)
    engine = app.extensions["scrm"].engine
    from scrm_wecom.sop.quiet import plan_tenant
    from sqlmodel import Session

    def hold(planned: int) -> None:
        print(f"planned {planned}", flush=True)
        time.sleep(120)

    with app.app_context(), Session(writer(engine)) as session:
        planned = plan_tenant(session, args["tenant_id"])
        if args["mode"] == "before_commit":
            hold(planned)
        session.commit()
        hold(planned)


if __name__ == "__main__":
    main()
