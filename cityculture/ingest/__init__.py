"""Ingest: turn submitted files into RDF."""
