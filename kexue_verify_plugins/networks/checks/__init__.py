"""The checks of the ``networks`` topic, one module per subject; imported only when a claim runs."""
