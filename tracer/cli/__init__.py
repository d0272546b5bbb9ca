"""The ``tracer`` command: ``main`` dispatches to ``commands/<name>.py``; ``options`` builds flags from the
operations' options dataclasses; ``output``/``progress``/``trace_view`` are console presentation."""
