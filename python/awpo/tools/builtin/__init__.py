"""Built-in tools: deterministic, executable tool families (no network, no wall clock)."""
