"""Helpers that start real local servers for the tests, benchmarks and the demo."""
