"""SiteConfig: the typed settings of one site, read from masthead.toml or a Banter config/.

A Banter project keeps its settings in ``config/site.config.js``, ``menus.js`` and
``social.js`` (JavaScript modules holding object literals, or the same objects as
``.json``). masthead reads those as they are, then applies ``masthead.toml`` on top,
so a newsroom can adopt masthead without rewriting anything and add what Banter
lacks (languages, collections, time zone) in one small file.

Every problem is collected as a Diagnostic and raised once as ``ConfigError``.
"""

from masthead.config.checks import placeholder_base_url
from masthead.config.entries import LANGUAGE_CODE
from masthead.config.loading import load_config
from masthead.config.settings import (
    CONFIG_FILE,
    ChannelConfig,
    CollectionConfig,
    DeployTarget,
    MenuItem,
    SiteConfig,
    SocialLink,
    documented_fields,
)

__all__ = ["CONFIG_FILE", "LANGUAGE_CODE", "ChannelConfig", "CollectionConfig", "DeployTarget",
           "MenuItem", "SiteConfig", "SocialLink", "documented_fields", "load_config",
           "placeholder_base_url"]
