"""Title seniority and department classifiers (pure Python, applied to *distinct* values)."""
