"""Rendering: reads AnalysisResults only (charts, catalogs, writers).  Never recomputes."""
