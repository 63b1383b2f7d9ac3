"""Built-in stand-in topic ``beta``: contributes a report writer for ``.csv``."""

from kexue_verify import hookimpl


def write_csv(report, path):
    lines = ["id,verdict"] + [f"{e['id']},{e['verdict']}" for e in report["claims"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@hookimpl
def kexue_register_reporters(registry):
    registry.add(".csv", write_csv)
