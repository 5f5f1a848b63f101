"""The portal pages, served by the app itself on the API's origin (placeholder; see issue 6)."""

from __future__ import annotations

from chalicelib.api.routing import Routes

routes = Routes(__name__)
