"""The checks of the Stirling topic, one module per subject; claims name them as ``"<module>:<function>"``.

* :mod:`.formula` — ST-1 … ST-3: Stirling's formula, its series, the Gamma function's;
* :mod:`.laplace` — ST-4 … ST-6: the Laplace route;
* :mod:`.qmethod` — ST-7 … ST-9: Su's q-method;
* :mod:`.divergence` — ST-10, ST-11: the divergence of the series and its optimal truncation;
* :mod:`.quartic` — ST-12, ST-13: the quartic example;
* :mod:`.euler_maclaurin` — ST-14: the Euler–Maclaurin remark.
"""
