"""The OpenAPI 3.1 document of the REST API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from ..models import TaskStatus

TIME = {"type": ["string", "null"], "format": "date-time"}
STATUS = {"type": "string"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": sorted(properties)}


SCHEMAS: dict[str, Any] = {
    "Server": _object({
        "id": {"type": "integer"}, "hostname": {"type": "string"},
        "human_name": {"type": "string"}, "status": STATUS,
        "ip_addresses": {"type": "array", "items": {"type": "string"}},
        "services": {"type": "array", "items": _object({
            "service": {"type": "string"}, "type": {"type": "string"},
            "port": {"type": ["integer", "null"]}})},
        "settings": {"type": "object", "description": "every field PATCH changes but "
                     "human_name and ip_addresses, as it is now (never db_password)"},
        "verified_at": TIME,
    }),
    "Platform": _object({
        "id": {"type": "integer"}, "name": {"type": "string"}, "root": {"type": "string"},
        "web_server_id": {"type": "integer"}, "status": STATUS,
        "application": {"type": "string"}, "version": {"type": "string"},
        "verified_at": TIME,
    }),
    "Site": _object({
        "id": {"type": "integer"}, "uri": {"type": "string"},
        "platform_id": {"type": "integer"}, "client_id": {"type": ["integer", "null"]},
        "db_server_id": {"type": ["integer", "null"]}, "profile": {"type": "string"},
        "language": {"type": "string"}, "status": STATUS,
        "aliases": {"type": "array", "items": {"type": "string"}},
        "redirect_aliases": {"type": "array", "items": {"type": "string"}},
        "automatic_aliases": {"type": "array", "items": {"type": "string"}},
        "created_at": TIME, "verified_at": TIME,
        "last_cron_at": TIME, "https": {"$ref": "#/components/schemas/Https"},
    }),
    "Https": _object({
        "https": {"type": "string", "enum": ["off", "enabled", "required"]},
        "hsts": {"type": "boolean"}, "certificate_expires_at": TIME,
        "certificate_issuer": {"type": "string"},
        "certificate_self_signed": {"type": "boolean"},
        "renewal_error": {"type": "string",
                          "description": "why the last renewal failed; empty when it did not"},
    }),
    "Client": _object({
        "id": {"type": "integer"}, "name": {"type": "string"},
        "organisation": {"type": "string"}, "email": {"type": "string"},
        "uname": {"type": "string"},
    }),
    "Task": _object({
        "id": {"type": "integer"}, "type": {"type": "string"},
        "entity_kind": {"type": "string"}, "entity_id": {"type": "integer"},
        "status": {"type": "string", "enum": [s.name.lower() for s in TaskStatus]},
        "arguments": {"type": "object"}, "created_at": TIME, "started_at": TIME,
        "finished_at": TIME,
    }),
    "LogLine": _object({
        "id": {"type": "integer"}, "level": {"type": "string"},
        "message": {"type": "string"}, "time": TIME,
    }),
    "Backup": _object({
        "id": {"type": "integer"}, "site_id": {"type": "integer"}, "file": {"type": "string"},
        "size": {"type": "integer"}, "description": {"type": "string"}, "created_at": TIME,
    }),
    "Error": {"type": "object", "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    }, "required": ["error"]},
    "NewSite": {"type": "object", "properties": {
        "uri": {"type": "string", "description": "the domain, e.g. www.example.com"},
        "platform_id": {"type": "integer"}, "db_server_id": {"type": "integer"},
        "client_id": {"type": "integer"}, "profile": {"type": "string"},
        "language": {"type": "string"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "redirect_aliases": {"type": "array", "items": {"type": "string"}},
    }, "required": ["uri", "platform_id", "db_server_id"]},
    "ServerChanges": {"type": "object", "properties": {
        "human_name": {"type": "string"},
        "ip_addresses": {"type": "array", "items": {"type": "string"}},
        **{name: {"type": ["string", "null"]} for name in (
            "http_type", "http_restart_cmd", "http_configtest_cmd", "http_include_dir",
            "web_group", "php_fpm_socket", "db_type", "db_host", "db_socket", "db_user",
            "db_password", "ssh_user", "ssh_key_file")},
        "http_reload_settle": {"type": ["number", "string", "null"],
                               "description": "seconds, 0 to 60"},
        **{name: {"type": ["integer", "null"], "description": "a port; null: the default"}
           for name in ("http_port", "db_port", "ssh_port")},
    }, "additionalProperties": False,
        "description": "The fields to change; null or an empty string puts back the default, "
                       "an empty db_password keeps the stored one."},
    "SiteAliases": {"type": "object", "properties": {
        "aliases": {"type": "array", "items": {"type": "string"},
                    "description": "the aliases that serve the site (left as they are if absent)"},
        "redirect_aliases": {"type": "array", "items": {"type": "string"},
                             "description": "the aliases that redirect (301) to its domain"},
    }},
    "NewTask": {"type": "object", "properties": {
        "type": {"type": "string", "description": "the task, e.g. verify, backup, migrate"},
        "arguments": {"type": "object", "description": "what the task's dialog asks"},
    }, "required": ["type"]},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": _json(_ref("Error"), "No valid API token."),
    "404": _json(_ref("Error"), "No such object, or one the token's user may not see."),
}
PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                 "maximum": 500, "default": 100}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                  "maximum": 2**31 - 1, "default": 0}},
]
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _list_of(name: str, summary: str, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    page = _object({"items": {"type": "array", "items": _ref(name)},
                    "total": {"type": "integer"}, "limit": {"type": "integer"},
                    "offset": {"type": "integer"}})
    return {"get": {"summary": summary, "parameters": PAGE + (extra or []),
                    "responses": {"200": _json(page, summary),
                                  "400": _json(_ref("Error"), "A bad limit or offset."),
                                  **ERRORS}}}


def _read(name: str, summary: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": [ID],
                    "responses": {"200": _json(_ref(name), summary), **ERRORS}}}


def _queue(kind: str) -> dict[str, Any]:
    return {"post": {
        "summary": f"Queue a task on a {kind}",
        "parameters": [ID],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref("NewTask")}}},
        "responses": {"202": _json(_ref("Task"), "The task, queued."),
                      "400": _json(_ref("Error"), "An unknown task or bad arguments."),
                      "409": _json(_ref("Error"), "The task is not available now, and why."),
                      **ERRORS},
    }}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    status = {"name": "status", "in": "query", "schema": {
        "type": "string", "enum": [s.name.lower() for s in TaskStatus]}}
    log = _object({"status": {"type": "string"},
                   "lines": {"type": "array", "items": _ref("LogLine")}})
    paths: dict[str, Any] = {
        "/servers": _list_of("Server", "Servers"),
        "/servers/{id}": {**_read("Server", "A server"), "patch": {
            "summary": "Change a server (its verify task is queued)",
            "parameters": [ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("ServerChanges")}}},
            "responses": {
                "200": _json(_object({"server": _ref("Server"), "task": _ref("Task")}),
                             "The server, and its queued verify task."),
                "400": _json(_ref("Error"), "Bad input; nothing was changed."),
                **ERRORS,
            },
        }},
        "/servers/{id}/tasks": _queue("server"),
        "/platforms": _list_of("Platform", "Platforms"),
        "/platforms/{id}": _read("Platform", "A platform"),
        "/platforms/{id}/tasks": _queue("platform"),
        "/sites": {
            **_list_of("Site", "Sites"),
            "post": {
                "summary": "Create a site (its install task is queued)",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("NewSite")}}},
                "responses": {
                    "201": _json(_object({"site": _ref("Site"), "task": _ref("Task")}),
                                 "The site, and its queued install task."),
                    "400": _json(_ref("Error"), "Bad input; nothing was changed."),
                    **ERRORS,
                },
            },
        },
        "/sites/{id}": {**_read("Site", "A site"), "patch": {
            "summary": "Change a site's aliases (its verify is queued)",
            "parameters": [ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SiteAliases")}}},
            "responses": {"200": _json(_ref("Site"), "The site, changed."),
                          "400": _json(_ref("Error"), "Bad input; nothing was changed."),
                          **ERRORS},
        }},
        "/sites/{id}/tasks": _queue("site"),
        "/sites/{id}/https": {"put": {
            "summary": "Set a site's HTTPS (its verify is queued when it changes)",
            "parameters": [ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["https"], "properties": {
                    "https": {"type": "string", "enum": ["off", "enabled", "required"]},
                    "hsts": {"type": "boolean"}}}}}},
            "responses": {"200": _json(_ref("Https"), "The site's HTTPS now."),
                          "400": _json(_ref("Error"), "Bad input; nothing was changed."),
                          **ERRORS},
        }},
        "/sites/{id}/backups": {"get": {**_list_of("Backup", "A site's backups")["get"],
                                        "parameters": [ID, *PAGE]}},
        "/sites/{id}/targets": {"get": {
            "summary": "The platforms a migrate or clone of the site may choose",
            "parameters": [ID],
            "responses": {"200": _json(_object({"targets": {"type": "array", "items": _object({
                "platform_id": {"type": "integer"}, "platform": {"type": "string"},
                "web_server_id": {"type": "integer"}, "web_server": {"type": "string"},
                "upgrades": {"type": "integer"}, "warnings": {"type": "integer"},
                "errors": {"type": "integer"},
                "refusal": {"type": ["string", "null"],
                            "description": "why the site may not go there; null: it may"},
            })}}), "Every platform of the site's application, on any web server."),
                **ERRORS},
        }},
        "/clients": _list_of("Client", "Clients"),
        "/clients/{id}": _read("Client", "A client"),
        "/tasks": _list_of("Task", "Tasks", [status]),
        "/tasks/{id}": _read("Task", "A task"),
        "/tasks/{id}/log": {"get": {
            "summary": "A task's log",
            "parameters": [ID, {"name": "after", "in": "query",
                                "schema": {"type": "integer", "minimum": 0}}],
            "responses": {"200": _json(log, "The task's status and log lines."),
                          "400": _json(_ref("Error"), "A bad 'after'."), **ERRORS},
        }},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hostmaster", "version": "1",
                 "description": "Servers, platforms, sites, clients and their tasks."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": paths,
    }
