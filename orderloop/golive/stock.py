"""(being written)"""
COLUMNS: list[str] = []
REQUIRED: list[str] = []


def template() -> bytes:
    raise NotImplementedError


def preview(actor, table, problems):
    raise NotImplementedError


def write(actor, preview, run) -> None:
    raise NotImplementedError
