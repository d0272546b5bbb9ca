"""tracer.contamination"""
