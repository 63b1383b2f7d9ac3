"""Topic plugin: lipschitz (being written)."""
