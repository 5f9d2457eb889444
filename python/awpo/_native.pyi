"""Type stubs of `awpo._native`, the Rust extension module (hand-written, checked by stubtest)."""

__version__: str

class AwpoError(Exception):
    """Base class of every awpo error."""

class SandboxError(AwpoError):
    """The tool sandbox could not start, isolate or reach a worker."""

class ToolTimeoutError(SandboxError):
    """A tool call ran past its wall-clock limit."""

def _after_fork() -> None:
    """Makes rayon batches serial in a forked child (registered by `awpo/__init__.py`)."""

def set_parallelism(on: bool) -> None:
    """Turns rayon batches on or off in this process (`AWPO_PARALLELISM` sets the default)."""

def is_parallel() -> bool:
    """Whether rayon batches are on in this process."""

# --- tool-call parsing ---

# --- outcome rewards ---

# --- advantages ---

# --- sandbox ---
