"""Keep a long-running process's memory close to what it actually holds.

glibc raises its mmap threshold each time a large block is freed, after which the 8-100 MB NumPy arrays a
million-row upload produces come from heaps that are never given back: the Streamlit server's memory grows
with every upload although nothing is alive. Pinning the threshold (as MALLOC_MMAP_THRESHOLD_ does) makes
every large array its own mapping, returned to the OS when it is freed. Elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
THRESHOLD_BYTES = 1 << 20
ARENAS = 2  # each glibc arena reserves 64 MB of address space: under an address-space limit (a parse worker's
            # RLIMIT_AS) one per thread of Arrow's pools made thread creation fail and the process abort


def return_freed_arrow_memory() -> bool:
    """Make Arrow give freed buffers straight back (jemalloc with zero decay), so the string columns an
    upload is parsed from stop counting once they are parsed. True when jemalloc is available."""
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return False
    return True


def pin_mmap_threshold() -> bool:
    """True when glibc accepted the setting."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(M_ARENA_MAX, ARENAS)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False
