"""Password hashers for tests."""
from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2Hasher(PBKDF2PasswordHasher):
    """A cheap stand-in for a newer hasher (a Django upgrade raises PBKDF2's iterations)."""

    algorithm = "pbkdf2_fast_test"
    iterations = 2
