"""Faust apps: one module per deployable stream processor."""
