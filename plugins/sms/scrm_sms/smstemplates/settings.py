"""The SMS plugin's per-tenant settings (the plugins page): the signature length limit (spec §2.2: 20 on the
template form, 30 on the bulk form's counter; 20 unless the brand's provider files longer ones)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from scrm.sdk import N_

from ..content import SIGNATURE_HARD_MAX, SIGNATURE_MAX, SIGNATURE_MIN


class SmsSettings(BaseModel):
    signature_max_length: int = Field(SIGNATURE_MAX, ge=SIGNATURE_MIN, le=SIGNATURE_HARD_MAX,
                                      title=N_("Signature length limit"),
                                      description=N_("Most characters of an SMS signature, without 【】 (20 by "
                                                     "default, at most 30)."))
