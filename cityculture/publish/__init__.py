"""Publish: dumps, dataset descriptions, HTML pages and their JSON-LD twins, from a store."""
