"""A cold start imports routing, not services: what a fresh `import app` registers and loads.

Lambda's init (the API's function and the authorizer's, which imports the same app.py) pays
for every module `import app` loads, so the route modules import their service where the route
runs. Chalice builds its route table at import, so every route must still be there. Timing is
`bench/cold_start.py`'s part; these only hold what must be true at any speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from typing import Any

from bench.cold_start import ROOT, ROUTES, contract_routes, lambda_environment

# The app's own modules a cold start may load: routing and what it answers with (settings,
# errors, problem+json, texts, the principal), the blueprints, observability, and what the
# authorizer runs on every call. Anything else is imported by the route that needs it.
ALLOWED = {
    "chalicelib", "chalicelib.api", "chalicelib.api.advisor_clients", "chalicelib.api.advisor_documents",
    "chalicelib.api.advisor_messages", "chalicelib.api.advisor_bulk_sends", "chalicelib.bulk", "chalicelib.api.advisor_webhooks",
    "chalicelib.api.auth", "chalicelib.api.dev", "chalicelib.api.portal",
    "chalicelib.api.public", "chalicelib.api.routing", "chalicelib.api.security", "chalicelib.api.web",
    "chalicelib.config", "chalicelib.errors", "chalicelib.problems", "chalicelib.texts", "chalicelib.validation",
    "chalicelib.observability", "chalicelib.store", "chalicelib.store.failures",
    "chalicelib.auth", "chalicelib.auth.principal", "chalicelib.auth.service", "chalicelib.tenants",
    "chalicelib.tenants.ports",
}
# What the composition root, the repositories and the adapters bring: the first request's to pay.
DEFERRED = ("boto3", "botocore.client", "pynamodb", "cryptography", "aws_xray_sdk", "jwt", "phonenumbers",
            "PIL", "pypdf", "rfc8785")

_CHILD = f"""
import json, sys
import app
{ROUTES}
print(json.dumps({{"routes": routes, "modules": sorted(sys.modules)}}))
"""


@cache
def fresh_import() -> dict[str, Any]:
    """What `import app` in a new interpreter, with the prod stage's environment, registered and loaded."""
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=lambda_environment(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_a_fresh_import_of_app_registers_every_route_of_the_contract_and_no_other():
    registered = fresh_import()["routes"]
    assert sorted(set(contract_routes()) - set(registered)) == []
    assert sorted(set(registered) - set(contract_routes())) == []


def test_a_fresh_import_of_app_loads_routing_and_the_authorizer_but_no_service():
    own = {name for name in fresh_import()["modules"] if name == "chalicelib" or name.startswith("chalicelib.")}
    assert sorted(own - ALLOWED) == [], "import these where the route that needs them runs (docs/performance.md)"


def test_a_fresh_import_of_app_leaves_the_aws_sdk_the_store_and_the_crypto_to_the_first_request():
    modules = set(fresh_import()["modules"])
    assert [name for name in DEFERRED if name in modules] == []
