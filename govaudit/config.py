"""sites.yaml for the CLI: the loader lives in ``govconfig.sites`` (the neutral package the crawler and the
probes import too); this name stays for the command line and its callers."""

from govconfig.sites import *  # noqa: F403 - a transition name for code written before the move
from govconfig.sites import (  # noqa: F401 - the names callers use
    LEVELS,
    LIMIT_TYPES,
    RENDER_MODES,
    SITE_ID_RE,
    Config,
    ConfigError,
    CrawlLimits,
    Network,
    Site,
    config_from_snapshot,
    format_nameserver,
    load_config,
    parse_nameserver,
)
