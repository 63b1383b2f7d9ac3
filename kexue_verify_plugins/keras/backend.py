"""Import Keras 3 on the torch backend, lazily, or skip the check that needs it.

The post's code is Keras; the checks run it in Keras 3 with ``KERAS_BACKEND=torch`` so that its tensors are torch
tensors and share the run's device, dtype and seed.  Keras is the optional extra ``kexue-verify[keras]``: when it is
absent, :func:`keras_or_skip` raises :class:`~kexue_verify.verdicts.SkipCheck`, and the case is ``skipped`` with
a reason that says how to install it.  The plain-torch versions of the same ideas run regardless.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from kexue_verify.verdicts import SkipCheck

__all__ = ["INSTALL_HINT", "keras_available", "keras_compute_dtype", "keras_or_skip", "quiet_keras_internals"]

INSTALL_HINT = "install the optional extra: pip install 'kexue-verify[keras]'"


def keras_available() -> bool:
    """True if Keras 3 can be imported (without importing it)."""
    return importlib.util.find_spec("keras") is not None


def keras_or_skip() -> Any:
    """The ``keras`` module on the torch backend; :class:`SkipCheck` if Keras is absent or on another backend."""
    if "keras" not in sys.modules:
        if not keras_available():
            raise SkipCheck(f"this case runs the post's Keras code, and Keras is not installed; {INSTALL_HINT}")
        os.environ.setdefault("KERAS_BACKEND", "torch")
        if os.environ["KERAS_BACKEND"] != "torch":
            raise SkipCheck(f"KERAS_BACKEND={os.environ['KERAS_BACKEND']!r}; the checks need the torch backend: "
                            "unset KERAS_BACKEND or set it to 'torch'")
    keras = importlib.import_module("keras")
    version = getattr(keras, "__version__", "0")
    if int(version.split(".")[0]) < 3:
        raise SkipCheck(f"Keras {version} is installed; the checks need Keras 3 ({INSTALL_HINT})")
    backend = keras.backend.backend()
    if backend != "torch":
        raise SkipCheck(f"Keras was already imported with the {backend!r} backend; the checks need "
                        "KERAS_BACKEND=torch set before Keras is first imported")
    return keras


def keras_compute_dtype(keras: Any, dtype: str) -> str:
    """The dtype Keras computes a binary op of two ``dtype`` tensors in.

    Keras 3 follows JAX's default and maps every 64-bit result type to 32 bits
    (``keras.backend.result_type("float64", "float64") == "float32"``), so ``keras.ops.matmul`` of two float64
    tensors is float32.  Tolerances for a Keras layer are derived from this dtype, not from the one asked for.
    """
    return str(keras.backend.result_type(dtype, dtype))


@contextlib.contextmanager
def quiet_keras_internals() -> Iterator[None]:
    """Silence the NumPy 2 deprecation that Keras's torch backend raises inside ``model.fit`` (``np.array`` on a
    tensor whose ``__array__`` takes no ``copy``): a warning about Keras's own code, not about the code checked."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept a copy keyword",
                                category=DeprecationWarning)
        yield
