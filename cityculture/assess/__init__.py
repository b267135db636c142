"""Assess: frameworks as data, scores derived by SPARQL, results as RDF with provenance."""
