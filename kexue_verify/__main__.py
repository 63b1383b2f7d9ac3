"""``python -m kexue_verify`` is the same as the ``kexue-verify`` command."""

from kexue_verify.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
