"""Measuring referat: retrieval and answer quality on question sets, and benchmarks."""
