"""Retrieval: Danish text analysis, lexical search, query understanding and rank fusion."""
