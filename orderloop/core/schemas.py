"""The API's one error body, for the routers to declare with their responses (the exception handlers that
produce it are in orderloop.config.api)."""
from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    """A refused request: nothing has changed."""

    detail: str = Field(description="What went wrong, in the user's language.")
    errors: dict[str, list[str]] = Field(
        description="Messages per field path (`lines.0.quantity`); `__all__` for the input as a whole. Empty when "
        "the refusal concerns no field.")
    code: str = Field(description="A stable code for programs, on every error: `bad_request`, `invalid`, `unauthorized`, "
                      "`forbidden`, `not_found`, `method_not_allowed`, `illegal_transition`, `stale_version`, `server_error`, …")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Error responses to declare on an operation: ``response={200: Out, **errors(401, 404)}``."""
    return {status: ErrorOut for status in statuses}

