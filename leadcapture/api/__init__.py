"""JSON API under /api/v1, documented at /api/v1/openapi.json.

Every error, whoever raises it, has one shape:
{"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {...}}
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from . import kiosk, leads, scans

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
# Each blueprint authenticates every request itself (see auth.authenticate_request),
# except kiosk.pairing_blp, whose one-time code is the credential.
BLUEPRINTS = (scans.blp, leads.blp, kiosk.pairing_blp, kiosk.blp)


def init_app(app: Flask) -> Api:
    app.config.update(
        API_TITLE="leadcapture",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Trade-show lead capture: scans, leads and their qualification."},
            "security": [{"bearerAuth": []}],
        },
    )
    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in BLUEPRINTS:
        api.register_blueprint(blp, url_prefix=API_PREFIX)
    app.register_error_handler(HTTPException, _json_error)
    app.register_error_handler(Exception, _unexpected_error)
    return api


def _json_error(exc: HTTPException):
    if not request.path.startswith(API_PREFIX):
        return exc  # web pages keep Flask's HTML error pages
    body = {"code": exc.code, "status": exc.name, "message": exc.description}
    data = getattr(exc, "data", None) or {}
    if data.get("message"):
        body["message"] = data["message"]
    if data.get("messages") or data.get("errors"):
        body["errors"] = data.get("errors") or data["messages"]
    response = jsonify(body)
    response.status_code = exc.code or 500
    for key, value in (getattr(exc, "get_headers", lambda: [])() or []):
        if key.lower() != "content-type":
            response.headers[key] = value
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = value
    return response


def _unexpected_error(exc: Exception):
    if isinstance(exc, HTTPException):  # raised outside a view (e.g. by a before_request)
        return _json_error(exc)
    log.exception("unhandled error")
    return _json_error(InternalServerError("something went wrong on the server; nothing was saved"))
