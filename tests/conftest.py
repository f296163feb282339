"""Settings every suite shares (tests/environment.py), set before any test module imports the
handlers."""

from tests import environment

environment.apply()
