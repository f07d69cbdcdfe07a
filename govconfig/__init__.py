"""What the configuration means, below everything that uses it: located errors and located YAML.

A neutral lower package: ``crawler/``, ``probes/``, ``inspections/`` and ``govaudit/`` import it, it imports
nothing of the project.
"""
