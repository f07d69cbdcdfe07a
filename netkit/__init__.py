"""Network primitives below the crawler, the probes and the CLI: the one DNS client (``netkit.dns``), the one URL
normaliser (``netkit.urls``) and the one table of error kinds with their Chinese names (``netkit.errors``).

A neutral lower package: it imports nothing of the project but ``govconfig``; ``crawler/``, ``probes/``,
``govaudit/`` (and, for ``urls``/``errors`` only, ``inspections/`` and ``reports/``) import it, never the reverse.
"""
