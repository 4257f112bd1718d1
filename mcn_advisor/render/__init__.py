"""Renderers: each takes an ``Assessment`` and returns text; only the CLI writes."""
