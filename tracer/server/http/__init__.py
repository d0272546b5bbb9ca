"""The JSON HTTP API (``/v1/<Method>``) and the web page, served beside or instead of gRPC."""
