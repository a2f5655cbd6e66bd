"""WeCom platform rules (spec §C): the per-tenant limits, the frequency caps over the delivery ledger, employee
capacity (external contacts and today's adds), and personal tags.

Other features call :func:`limits` and :func:`mass_quota_left`; see the plugin README, "Platform rules".
"""

from .capacity import EmployeeCapacity, capacity_of, warnings_for
from .quota import MassKind, mass_quota_left
from .settings import Limits, limits

__all__ = ["EmployeeCapacity", "Limits", "MassKind", "capacity_of", "limits", "mass_quota_left", "warnings_for"]
