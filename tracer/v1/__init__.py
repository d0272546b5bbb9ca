"""Generated gRPC stubs for proto/tracer/v1 (checked in; regenerate with scripts in tests)."""
