"""The checks of the SVD topic, one module per subject: ``storage`` (SVD-1), ``eckart_young`` (SVD-2),
``equivalence`` and ``l1`` (SVD-3), ``nonunique`` (SVD-4), ``minibatch`` (SVD-5), ``three_factor`` (SVD-6),
``toy`` (SVD-7) and ``clipping`` (SVD-9).  Claims name them as ``"kexue_verify_plugins.svd.checks.<module>:<fn>"``.
"""
