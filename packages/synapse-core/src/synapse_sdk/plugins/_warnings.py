"""Developer warnings attributed to the plugin author's line, not to SDK internals."""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

# The synapse_sdk namespace spans several directories (one per distribution); any frame whose file
# lives under a `synapse_sdk` directory is SDK code.
_MARKER = os.sep + 'synapse_sdk' + os.sep


def warn_user(message: str | Warning, category: type[Warning] | None = None) -> None:
    """Issue `message` (a text of `category`, or a warning instance carrying data), pointing at the first
    stack frame outside the SDK."""
    level = 2  # stacklevel 2 = the caller of warn_user
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _MARKER in frame.f_code.co_filename:
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
