"""The checks of the ``flows`` topic, one module per subject; imported only when a claim runs.

On every registered flow layer (the generic claims): :mod:`.logdet`, :mod:`.inverse`, :mod:`.directions`,
:mod:`.structure`, :mod:`.density` (2-D flows) and :mod:`.consistency` (the consistency-only testing practice),
sharing :mod:`.common`.  On the posts' formulas (the catalogue claims): :mod:`.coupling`, :mod:`.permutation`,
:mod:`.multiscale`, :mod:`.convolution`, :mod:`.actnorm` and :mod:`.glow_code` (Glow's released code), sharing
:mod:`.formulas` (SymPy) and :mod:`.instances` (torch).
"""
