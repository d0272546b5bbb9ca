"""tracer.membership"""
