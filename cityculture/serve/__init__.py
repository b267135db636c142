"""Serve a published site: content negotiation and a read-only SPARQL 1.1 endpoint."""
