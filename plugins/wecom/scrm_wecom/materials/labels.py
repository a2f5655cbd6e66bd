"""Labels of the material centre's codes (kinds, scopes, script content types) in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import ARTICLE, ENTERPRISE, FILE, LINK, MINIPROGRAM, POSTER, TEAM, VIDEO

KIND_LABELS = {ARTICLE: _l("Rich-media article"), LINK: _l("Link"), POSTER: _l("Poster"), FILE: _l("File"),
               VIDEO: _l("Video"), MINIPROGRAM: _l("Mini program")}
SCOPE_LABELS = {ENTERPRISE: _l("Enterprise"), TEAM: _l("Team")}
CONTENT_LABELS = {"text": _l("Text"), "image": _l("Image"), "article": _l("Rich-media article"), "pdf": _l("PDF"),
                  "video": _l("Video"), "miniprogram": _l("Mini program")}
