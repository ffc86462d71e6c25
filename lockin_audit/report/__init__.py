"""Renderers: each reads only a ScanResult and writes one file."""
