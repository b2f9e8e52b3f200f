"""Feature families: one module each, exposing ``FAMILY``, ``WINDOWS`` and ``definitions``."""
