"""What the console log shows."""
import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Django logs a refused request (403 from PermissionDenied) with the exception's traceback. A 4xx is an
    expected answer to the client, and its one line (``Forbidden (Permission denied): /reviews/``) says it all;
    server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info, record.exc_text = None, None
        return True
