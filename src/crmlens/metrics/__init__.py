"""Engine-side metric expressions (Ibis).  Nothing here pulls row-level data into Python."""
