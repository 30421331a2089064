"""What a deploy decides before and after it moves files: which targets, which address
pages name as their own, and whether the newsletter may go out.

Kept apart from the command line so that every way of publishing (the ``deploy``
command, a scheduled publish) follows the same rules."""

from __future__ import annotations

from masthead.config import DeployTarget, SiteConfig
from masthead.deploy.targets import DeployResult

NO_TARGETS = ("masthead.toml has no [[deploy]] targets\n  hint: add one, e.g.\n"
              '    [[deploy]]\n    name = "origin"\n    url = "https://www.mymagazine.org/"\n'
              '    to = "/srv/www/mymagazine"\n    primary = true')


class PolicyError(Exception):
    """A deploy that cannot start as asked; the message says why and what to do."""


def chosen_targets(config: SiteConfig, names: list[str]) -> list[DeployTarget]:
    """The targets named (all of them when none is), or PolicyError."""
    known = {t.name: t for t in config.deploy}
    if not known:
        raise PolicyError(NO_TARGETS)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise PolicyError(f"no deploy target named {unknown[0]!r}; known: "
                          f"{', '.join(sorted(known))}")
    return [known[name] for name in names] or list(known.values())


def canonical_address(config: SiteConfig) -> str | None:
    """The ``base_url`` a deployed build must have when it differs from the settings':
    pages name the primary target's address as theirs (canonical links, feeds,
    sitemaps), whatever ``base_url`` says."""
    primary = next((t for t in config.deploy if t.primary), None)
    if primary is None or config.base_url == primary.url:
        return None
    return primary.url


def newsletter_held(results: list[DeployResult], verified: bool,
                    what: str = "the newsletter is") -> str | None:
    """Why the newsletter (or ``what``: the channels' posts) may not go out after this
    deploy (None: it may). No email or post may link to a page that is not online at
    every address."""
    if any(r.error for r in results):
        return f"{what} not sent while a target failed"
    if not verified:
        return f"{what} sent only after the targets are verified (without --no-verify)"
    return None
