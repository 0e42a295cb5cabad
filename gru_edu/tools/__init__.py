"""Tools around the notebooks: :mod:`.render` (the collection as static HTML)
and :mod:`.hub` (nbgitpuller links, the data baked into a hub image)."""

__all__ = ["render", "hub"]
