"""Topic plugin: flows (being written)."""
