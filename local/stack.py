"""The whole local product in one process: moto, its resources, the demo data, the API."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from moto.server import ThreadedMotoServer

from local import moto_fixes
from local.ca import LocalCa
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
    tsa: Any = None
    ca: Any = None
    background: Any = None

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
        from local.tsa import LocalTsa

        self.tsa = LocalTsa()
        tsa_url = self.tsa.start()
        self.resources = create_resources(self.endpoint)
        self.ca = LocalCa()
        seal_chain = self.issue_seal_certificate(self.resources.seal_key_id)
        from chalicelib.signing import pdf_seal

        pdf_seal.LOCAL_ISSUER[:] = [self._certify]  # a key made by a local rotation gets its certificate too
        os.environ.update(self.resources.environment(self.endpoint, portal_url=self.url, stage=stage,
                                                     tsa_url=tsa_url, tsa_chain=tuple(self.tsa.chain_pem),
                                                     seal_chain=tuple(seal_chain)))
        if seed:
            from local.demo import seed as seed_demo

            self.firms = seed_demo()

    def issue_seal_certificate(self, key_id: str) -> list[str]:
        """The local CA's certificate for a seal key's public half (KMS holds the private half)."""
        import boto3

        kms = boto3.client("kms", endpoint_url=self.endpoint, region_name="eu-west-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]
        return list(self.ca.issue_seal_certificate(public_key, "Digitaal ondertekenen, zegel (lokaal)"))

    def _certify(self, public_key_pem: str) -> list[str]:
        from cryptography.hazmat.primitives import serialization

        der = serialization.load_pem_public_key(public_key_pem.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return list(self.ca.issue_seal_certificate(der, "Digitaal ondertekenen, zegel (lokaal)"))

    def start_api(self) -> None:
        from local.serve import create_server

        self.api = create_server(self.host, self.port)
        threading.Thread(target=self.api.server.serve_forever, name="api", daemon=True).start()

    def start_background(self, every: float = 2.0) -> None:
        """The deployed schedules' work, within seconds: here, the pending time stamps."""
        from local.background import Background

        self.background = Background(every)
        self.background.start()

    def stop(self) -> None:
        if self.background is not None:
            self.background.stop()
        if self.tsa is not None:
            self.tsa.stop()
        if self.api is not None:
            self.api.shutdown()
            self.api.server.server_close()
        if self.moto is not None:
            self.moto.stop()
