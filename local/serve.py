"""Serve the app like `chalice local`, with the deployed gateway's problem+json responses."""

from __future__ import annotations

from chalice.config import Config
from chalice.local import LocalChalice, LocalDevServer, ThreadedHTTPServer

from local.gateway import ProblemRequestHandler


def create_server(host: str, port: int, stage: str = "local") -> LocalDevServer:
    from app import app

    # What `chalice local` does: a thread-local current_request for the threaded server.
    app.__class__ = LocalChalice
    config = Config.create(chalice_stage=stage, app_name=app.app_name, lambda_timeout=30)
    return LocalDevServer(app, config, host, port, handler_cls=ProblemRequestHandler, server_cls=_Server)


class _Server(ThreadedHTTPServer):
    request_queue_size = 128  # socketserver's default of 5 resets bursts of connections
