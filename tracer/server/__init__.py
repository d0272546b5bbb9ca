"""tracer.server"""
