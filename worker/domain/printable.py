"""Text from outside made safe to show: one filter for the terminal and for Lockme's panel.

Room names, the Lockme nick, calendar names, event titles and the APIs' error texts come
from people and services the product does not control; shown as they are, a control or
bidi character in one of them could forge a line, recolour a screen or reorder what a
person reads.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators and the bidi overrides:
# in a name they would move the cursor, recolour the screen, start a line of their own
# ("ok    google: connected") or reorder one.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """``value`` as text for a terminal (or a label in Lockme's panel), each unprintable
    character shown escaped (``\\x1b``, ``\\n``, ``\\t``), so that it cannot forge or
    rewrite a line."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode(), str(value))
