"""Validate: SHACL shapes over submitted data, reported in files, rows and columns."""
