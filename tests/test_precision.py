"""``no_tf32``: IEEE float32 for CUDA matmuls and convolutions inside a check, the previous settings restored."""

from __future__ import annotations

import pytest

from kexue_verify.precision import no_tf32

torch = pytest.importorskip("torch")
SETTINGS = [torch.backends.cuda.matmul, torch.backends.cudnn.conv]
pytestmark = pytest.mark.skipif(not all(hasattr(s, "fp32_precision") for s in SETTINGS),
                                reason="torch < 2.9 has only the allow_tf32 flags")


def test_on_cuda_tf32_is_off_inside_and_restored_after():
    before = [s.fp32_precision for s in SETTINGS]
    SETTINGS[0].fp32_precision = "tf32"
    try:
        with no_tf32("cuda:0"):
            assert [s.fp32_precision for s in SETTINGS] == ["ieee", "ieee"]
        assert SETTINGS[0].fp32_precision == "tf32"
    finally:
        for s, value in zip(SETTINGS, before, strict=True):
            s.fp32_precision = value


def test_on_the_cpu_nothing_is_touched():
    before = [s.fp32_precision for s in SETTINGS]
    SETTINGS[0].fp32_precision = "tf32"
    try:
        with no_tf32("cpu"):
            assert SETTINGS[0].fp32_precision == "tf32"
    finally:
        for s, value in zip(SETTINGS, before, strict=True):
            s.fp32_precision = value
