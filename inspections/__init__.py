"""The inspections: one module per check id. Importing this package registers every check, in this order
(the order of the report). One line per check, so a grep shows what is active."""

from inspections import site_unreachable  # noqa: F401
from inspections import homepage_stale  # noqa: F401
from inspections import stale_columns  # noqa: F401
from inspections import broken_links  # noqa: F401
from inspections import site_markings  # noqa: F401
from inspections import disclosure_column  # noqa: F401
from inspections import annual_report  # noqa: F401
from inspections import standardization_topic  # noqa: F401
from inspections import normative_documents  # noqa: F401
from inspections import enforcement_disclosure  # noqa: F401
from inspections import execution_disclosure  # noqa: F401
from inspections import ipv6_support  # noqa: F401
from inspections import interaction_response  # noqa: F401
from inspections import expression_errors  # noqa: F401
from inspections import personal_data  # noqa: F401
from inspections import outside_links  # noqa: F401
