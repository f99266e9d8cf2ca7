"""Helpers shared by the tests that are not fixtures: test data builders, the REST client, the browser's
log-in, the permission matrix's reader, and servers standing in for the outside world. Fixtures live in
conftest.py; a test module imports from here, never from another test module."""
