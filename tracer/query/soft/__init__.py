"""Soft search: corpus passages similar to a text (paraphrases, reorderings, light rewrites).

``find_similar`` / ``find_similar_many`` (also ``Index.find_similar``); see search.py for the method.
"""

from tracer.query.soft.query import TooShortError, too_short
from tracer.query.soft.search import SoftMatch, find_similar, find_similar_many, verify

__all__ = ["SoftMatch", "TooShortError", "find_similar", "find_similar_many", "too_short", "verify"]
