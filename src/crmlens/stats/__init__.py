"""Pure numpy/scipy statistics (no engine, no rendering)."""
