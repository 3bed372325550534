"""The graphone decoder's kernel (:mod:`speechtext.g2p.kernel`) compiled by numba.

Imported lazily: numba is heavy to import. The kernel's source is run again here with numba's
``njit`` as its decorator, so both runs of it are the same code. ``cache=True`` keeps the
compiled code in the package's ``__pycache__``, or where that is not writable (an installed
wheel) in numba's user-wide cache folder (``NUMBA_CACHE_DIR``, else the user's cache folder).
"""

from __future__ import annotations

import importlib.util

import numba
import numpy as np

__all__ = ["decode_words"]


def _compiled_kernel():
    spec = importlib.util.find_spec("speechtext.g2p.kernel")
    module = importlib.util.module_from_spec(spec)
    module._JIT = lambda **options: numba.njit(cache=True, nogil=True, **options)
    module._XP = np
    spec.loader.exec_module(module)
    return module


decode_words = _compiled_kernel().decode_words
