"""A separate process that delivers due SOP tasks in small batches, pausing after each committed batch, until it is
killed (the SOP restart test). Arguments: a JSON object with the platform's settings, the broker namespace, the
tenant id, the batch size and the pause."""

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
    from scrm_wecom.sop.delivery import deliver_due
    from sqlmodel import Session

    def pause(run) -> None:
        print(f"batch {run.batches}", flush=True)
        time.sleep(args["pause"])

    with app.app_context(), Session(writer(engine)) as session:
        deliver_due(session, args["tenant_id"], batch=args["batch"], after_batch=pause)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
