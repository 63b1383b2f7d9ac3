"""The checks of the Lipschitz topic, one module per subject; a claim names each as ``"<module>:<function>"``.

* :mod:`.network` — the network-level claims (LIP-1, LIP-13, LIP-14);
* :mod:`.declared` — the model claim ``lipschitz.declared-bound`` (every model of kind ``lipschitz-net``);
* :mod:`.matrix` — the matrix-norm relations (LIP-2, LIP-3, LIP-5, LIP-6, LIP-12);
* :mod:`.iteration` — power iteration and the spectral-norm gradient (LIP-7, LIP-8, LIP-9, LIP-16);
* :mod:`.training` — L2 regularisation, the WGAN dual and the gradient penalty (LIP-4, LIP-10, LIP-11, LIP-15).

:mod:`.witness` holds the witness-pair evidence that :mod:`.network` and :mod:`.declared` share.  Nothing is
imported here, so that naming a check loads only its own module (and torch only when a claim runs).
"""
