"""The checks of the ``mangoes`` topic, one module per subject; imported only when a claim runs."""
