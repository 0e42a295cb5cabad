"""Small tasks that isolate one thing a gate does (memory, segments, counting) and the
trainer they share. Its modules, a line each: ``docs/architecture.md``.
"""

__all__ = ["memory", "segments", "counting", "trainer"]
