"""tracer.wire: library values <-> tracer.v1 protobuf messages (``convert``), used by the server and
the clients. tracer/v1/ holds only the generated stubs; everything hand-written about the wire
format lives here."""
