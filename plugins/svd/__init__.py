"""Topic plugin: svd (being written)."""
