"""Which replies unsubscribe: the whole reply, once normalised, is one of ``UNSUBSCRIBE_WORDS``.

Normalisation (NFKC, so full-width ``ＴＤ`` is ``TD``; upper case; every space and the punctuation a phone keyboard
adds removed) tolerates ``td``, ``T D``, ``ＴＤ``, `` 退订 ``, ``TD。``, ``退订！``. A reply that merely contains the
word (``T恤还有货吗``, ``不要退订``, ``TD好的``) is a reply, not an opt-out: carriers and the vendors' own
unsubscribe handling match the whole message too, and a false opt-out silently drops a customer from marketing.
"""

from __future__ import annotations

import re
import unicodedata

#: the replies that unsubscribe, after ``normalise``
UNSUBSCRIBE_WORDS = frozenset({"TD", "T", "退订", "TD退订", "退订TD", "回TD", "回TD退订"})
_NOISE = re.compile(r"[\s.,!?;:~'\"`。，！？；：、…·\-_()（）【】\[\]]+")


def normalise(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def is_unsubscribe(text: str) -> bool:
    """Whether the reply ``text`` asks to receive no more marketing SMS."""
    return normalise(text) in UNSUBSCRIBE_WORDS
