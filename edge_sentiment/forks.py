"""Objects that a forked child process must set up again.

A process forked (multiprocessing's default on Linux) while another thread holds a lock inherits
the lock held, and no thread of the child will ever release it: its first call waits forever.
An object that guards its state with a lock registers here; in a forked child its
``_after_fork()`` runs before anything else, to make a new lock (and drop what may be half written).
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class RenewedAfterFork(Protocol):
    def _after_fork(self) -> None: ...


#: Every registered object of this process, held weakly (a classifier that is gone needs nothing).
_OWNERS: weakref.WeakSet = weakref.WeakSet()


def renew_after_fork(owner: RenewedAfterFork) -> None:
    """Have ``owner._after_fork()`` called in every child process forked from now on."""
    _OWNERS.add(owner)


def _after_fork_in_child() -> None:
    for owner in list(_OWNERS):
        owner._after_fork()


if hasattr(os, "register_at_fork"):  # (POSIX: where there is no fork, nothing to renew)
    os.register_at_fork(after_in_child=_after_fork_in_child)
