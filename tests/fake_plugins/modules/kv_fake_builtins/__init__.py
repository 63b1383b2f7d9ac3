"""A stand-in for the built-in topics package (``kexue_verify_plugins``): two topics loaded by name, in order."""

DEFAULT_PLUGINS = ("beta", "alpha")
