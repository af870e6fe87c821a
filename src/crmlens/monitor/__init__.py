"""Monitoring: a history store owned by crmlens, alert rules, notifications, the monitor job.
Reads saved results only; never recomputes an analysis."""
