"""The thread guard: batched LU is checked before every check, and the thread count is never raised through torch.

``torch.set_num_threads(n ≥ 2)`` made batched LU return wrong pivots on the development machine (see
``kexue_verify/threads.py``); these tests pin the rules that keep the log-determinant ground truth sound.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kexue_verify.errors import UnsoundEnvironmentError
from kexue_verify.threads import batched_lu_is_sound, ensure_sound_lapack, set_threads, single_threaded

torch = pytest.importorskip("torch")


def _in_fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter with no thread-count variables set; its last line of output."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                          env=env)
    return done.stdout.strip().splitlines()[-1]


def test_single_threaded_sets_one_thread_and_does_not_raise_it_again():
    with single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 1


def test_raising_the_thread_count_in_a_running_process_is_refused_with_the_fix():
    set_threads(1)
    with pytest.raises(UnsoundEnvironmentError, match="OMP_NUM_THREADS=3"):
        set_threads(3)


def test_batched_lu_is_sound_here_on_one_thread():
    set_threads(1)
    assert batched_lu_is_sound()
    assert ensure_sound_lapack() is False  # nothing to fall back from


@pytest.mark.parametrize("fault", ["log", "sign"])
def test_the_known_answer_test_detects_a_wrong_batched_slogdet(monkeypatch, fault):
    real = torch.linalg.slogdet

    def batched_wrong(a):
        sign, logabs = real(a)
        if a.dim() == 2:
            return sign, logabs
        return (-sign, logabs) if fault == "sign" else (sign, logabs * (1 + 1e-9))

    monkeypatch.setattr(torch.linalg, "slogdet", lambda a: _named(*batched_wrong(a)))
    assert not batched_lu_is_sound()


def _named(sign, logabsdet):
    return torch.return_types.linalg_slogdet((sign, logabsdet))


def test_a_fault_that_one_thread_does_not_cure_is_an_error(monkeypatch):
    monkeypatch.setattr("kexue_verify.threads.batched_lu_is_sound", lambda: False)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    monkeypatch.setattr("kexue_verify.threads.set_threads", lambda n: None)
    with pytest.raises(UnsoundEnvironmentError, match="even on one thread"):
        ensure_sound_lapack()


def test_a_process_that_raised_its_thread_count_is_repaired_or_refused_before_a_check():
    """Whatever torch.set_num_threads(2) does to batched LU in this build, the guard leaves a sound state — or, where
    batched LU hangs (MKL on an AVX-512 Xeon), refuses within its deadline with the way out."""
    out = _in_fresh_python(
        "import torch; torch.set_num_threads(2)\n"
        "from kexue_verify.errors import UnsoundEnvironmentError\n"
        "from kexue_verify.threads import batched_lu_is_sound, ensure_sound_lapack\n"
        "try:\n    ensure_sound_lapack(); print(batched_lu_is_sound())\n"
        "except UnsoundEnvironmentError as exc:\n    print('refused:', exc)"
    )
    assert out.endswith("True") or ("refused:" in out and "OMP_NUM_THREADS=2" in out), out


def test_a_worker_takes_its_thread_count_from_the_environment():
    out = _in_fresh_python(
        "from kexue_verify.threads import thread_environment\n"
        "thread_environment(2)\n"
        "import torch; print(torch.get_num_threads())"
    )
    assert out == "2"
