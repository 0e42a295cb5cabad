"""Tools around the notebooks: the collection rendered to static HTML, hub links.
Its modules, a line each: ``docs/architecture.md``.
"""

__all__ = ["render", "hub"]
