"""Every table of the members plugin, imported for the migrations and the app (areas keep their own models)."""

from .customers import models as _customers  # noqa: F401
from .loyalty import models as _loyalty  # noqa: F401
from .segments import models as _segments  # noqa: F401
