from __future__ import annotations

# The fake Orange API and its provider, for the routing tests of the dispatcher.
from tests.channels.android_sms.conftest import make_provider, phone_ml
from tests.channels.orange.conftest import make_orange, orange

__all__ = ["make_orange", "make_provider", "orange", "phone_ml"]
