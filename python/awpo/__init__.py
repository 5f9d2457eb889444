"""awpo: Advantage-Weighted Policy Optimization for tool-using language models.

The hot, safety-critical parts (tool-call parsing, outcome rewards, AWPO advantages, the tool
sandbox) are Rust, in `awpo._native`; this package orchestrates rollouts, the judge and training.
"""

from __future__ import annotations

import os

from awpo import _native
from awpo.errors import AwpoError, SandboxError, ToolTimeoutError
from awpo.tools.registry import Tool, tool

__version__: str = _native.__version__

# A rayon pool does not survive fork(): forked children (DataLoader workers) run batches serially.
os.register_at_fork(after_in_child=_native._after_fork)

__all__ = ["AwpoError", "SandboxError", "Tool", "ToolTimeoutError", "__version__", "tool"]
