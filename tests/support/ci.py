"""Where the suite runs: in CI, a test whose outside service is missing fails instead of being skipped."""
import os

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
