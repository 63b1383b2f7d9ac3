"""A plugin that cannot be imported."""

import kexue_verify_no_such_module  # noqa: F401

from kexue_verify import hookimpl


@hookimpl
def kexue_register_claims(registry):  # pragma: no cover - never reached
    raise AssertionError("unreachable")
