"""The tracer.v1 gRPC contract in Python: generated stubs only (checked in). The library <-> message
conversion is ``tracer.wire``.

Regenerate the stubs after editing proto/tracer/v1/tracer.proto, with the pinned grpcio-tools:

    python -m grpc_tools.protoc -Iproto --python_out=. --pyi_out=. --grpc_python_out=. proto/tracer/v1/tracer.proto

tests/test_grpc_transport.py regenerates them into a temporary folder and fails when they differ.
"""
