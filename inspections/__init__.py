"""The inspections: one module per check id. Importing this package registers every check, in this order
(the order of the report). One line per check, so a grep shows what is active."""

from inspections import site_unreachable  # noqa: F401
from inspections import homepage_stale  # noqa: F401
from inspections import stale_columns  # noqa: F401
from inspections import broken_links  # noqa: F401
from inspections import site_markings  # noqa: F401
from inspections import ipv6_support  # noqa: F401
