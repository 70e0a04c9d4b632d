"""Ingestion: parse minutes into meetings and agenda items, chunk, embed and store them."""
