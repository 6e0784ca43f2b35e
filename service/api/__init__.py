"""The HTTP API: routers, schemas and dependencies."""
