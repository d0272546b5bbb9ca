"""tracer.server: the gRPC service (tracer.v1.Tracer) over one or more indexes.

``servicer`` translates messages to library calls, ``status`` maps library errors to status
codes, ``auth`` checks bearer tokens, ``app`` assembles and runs the server.
"""

from tracer.server.app import ServerConfig, TracerServer, start_server

__all__ = ["ServerConfig", "TracerServer", "start_server"]
