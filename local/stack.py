"""The whole local product in one process: moto, its resources, the demo data, the API."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from moto.server import ThreadedMotoServer

from local import moto_fixes
from local.resources import LocalResources, create_resources


@dataclass
class LocalStack:
    host: str
    moto_port: int
    port: int
    moto: Any = None
    api: Any = None
    resources: LocalResources | None = None
    firms: dict[str, str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start_backend(self, stage: str = "local", seed: bool = True) -> None:
        """moto on its port, every resource created, settings in the environment, demo data seeded."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
        moto_fixes.apply()
        self.moto = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        self.moto.start()
        self.resources = create_resources(self.endpoint)
        os.environ.update(self.resources.environment(self.endpoint, portal_url=self.url, stage=stage))
        if seed:
            from local.demo import seed as seed_demo

            self.firms = seed_demo()

    def start_api(self) -> None:
        from local.serve import create_server

        self.api = create_server(self.host, self.port)
        threading.Thread(target=self.api.server.serve_forever, name="api", daemon=True).start()

    def stop(self) -> None:
        if self.api is not None:
            self.api.shutdown()
            self.api.server.server_close()
        if self.moto is not None:
            self.moto.stop()
