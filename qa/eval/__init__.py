"""Measuring qa: question-set metrics (metrics), the --report folder (report) and the RealTime QA benchmark."""
