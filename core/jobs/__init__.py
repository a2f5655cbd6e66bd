"""The job bus: actors with a queue per plugin, tenant middleware, the outbox relay and the durable scheduler."""

from .actors import ACTORS, Job, ScrmActor, actor
from .bus import JobBus, current_bus, job_session

__all__ = ["ACTORS", "Job", "JobBus", "ScrmActor", "actor", "current_bus", "job_session"]
