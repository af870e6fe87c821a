"""crmlens — B2B customer analytics on CRM data."""

__version__ = "0.1.0"
