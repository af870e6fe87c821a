"""Human overrides of analysis results, with an audit trail (seed 004: the model proposes, people
who know the customer decide, and the tool measures who was right).

An override is (analysis, entity kind, entity id, field, new value, reason, who, when, optional
expiry, source ``cli`` | ``workbook``).  Every change is an appended event in crmlens' own DuckDB
store (``store``): a revocation is an event too, nothing is updated or deleted.  The override in
force for (analysis, entity kind, entity id, field) is given by its latest event: none after a
revocation, none once its expiry date has passed (a superseded override never comes back).

``values`` checks a value against the field an analysis declares (``AnalysisSpec.overridable``);
``apply`` is what a unit calls (``RunContext.overrides(field)``) to put the people's value after
the model's; ``workbook`` writes the review sheet of the exported workbook and imports it back
(every row validated before anything is appended, conflicts reported, never merged blindly).
"""
