"""crmlens — B2B customer analytics on CRM data.

``crmlens.run(source, analyses)`` is the Python API (see :mod:`crmlens.api`); importing the
package stays light: the engine and analysis modules load on first use."""

__version__ = "0.1.0"
__all__ = ["run", "Results", "__version__"]


def __getattr__(name: str):
    if name in ("run", "Results"):
        from crmlens import api

        return getattr(api, name)
    raise AttributeError(f"module 'crmlens' has no attribute {name!r}")
