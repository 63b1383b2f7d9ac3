"""Check functions of the Keras topic, imported when a claim runs (never by ``kexue-verify list``)."""
