"""Every setting of a site: typed, documented fields (the user guide's table is made from them)."""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")  # a URL that is already absolute
CONFIG_FILE = "masthead.toml"
BANTER_FILES = ("site.config", "menus", "social")
IMAGE_ENCODINGS = ("small", "fast")  # how hard image variants are encoded (images.py)


@dataclass(frozen=True, slots=True)
class MenuItem:
    name: str
    link: str
    submenu: tuple[MenuItem, ...] = ()


@dataclass(frozen=True, slots=True)
class SocialLink:
    name: str
    href: str


@dataclass(frozen=True, slots=True)
class CollectionConfig:
    """An extra content collection such as ``docs`` or ``videos``."""

    name: str
    folder: str
    url: str
    template: str


@dataclass(frozen=True, slots=True)
class DeployTarget:
    """A place the site is published to: ``to`` is where the files go (a folder or an
    rclone remote), ``url`` the address readers use there."""

    name: str
    url: str
    to: str
    primary: bool = False


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """A place each published story is also posted to, for the stories in ``language``:
    a Telegram channel (``chat``: its @name or numeric id, through the Bot API at ``api``
    with the bot token from the environment variable ``token_env``), or the site's own
    fediverse account (``account``: the name in @account@site-host)."""

    name: str
    kind: str
    language: str
    chat: str
    api: str = "https://api.telegram.org"
    token_env: str = "TELEGRAM_BOT_TOKEN"
    account: str = ""


def _doc(text: str, default: Any = None, **kw: Any) -> Any:
    if "default_factory" in kw:
        return field(default_factory=kw["default_factory"], metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class SiteConfig:
    """Settings of one site. Each field's ``doc`` is its reference documentation."""

    root: Path
    title: str = _doc("Site name, shown in the header and page titles.", "My Magazine")
    description: str = _doc("Default meta description of the site.", "")
    author: str = _doc("Publisher or owner, used in meta tags and the footer.", "")
    keywords: str = _doc("Comma-separated keywords for the home page meta tags.", "")
    og_image: str = _doc("Default social-sharing image (path under public/ or URL).", "")
    base_url: str = _doc("Absolute address of the published site, e.g. https://example.org/.",
                         "http://localhost:8000/")
    logo: str = _doc("Logo image shown in the header (path under public/).", "")
    logo_cropped: str = _doc("Square logo for small screens (Banter's logoCropped).", "")
    logo_text: str = _doc("Text shown beside or instead of the logo.", "")
    favicon: str = _doc("Favicon path under public/.", "")
    posts_per_page: int = _doc("Posts on each page of the home, category, author and tag feeds.",
                               6)
    copyright: str = _doc("Footer copyright line.", "")
    main_menu: tuple[MenuItem, ...] = _doc(
        "Header menu: a list of {name, link, submenu = [...]}.", default_factory=tuple)
    footer_menu: tuple[MenuItem, ...] = _doc("Footer links: a list of {name, link}.",
                                             default_factory=tuple)
    social: tuple[SocialLink, ...] = _doc("Social profiles: a list of {name, href}.",
                                          default_factory=tuple)
    language: str = _doc("Default language: its pages live at the site root.", "en")
    languages: tuple[str, ...] = _doc(
        "All languages in order; default: the locale folders found under content/posts.",
        default_factory=tuple)
    timezone: str = _doc("Time zone for dates written without an offset (IANA name).", "UTC")
    output: str = _doc("Output folder, relative to the site folder.", "dist")
    words_per_minute: int = _doc("Reading speed used when a post has no time_to_read_in_minutes.",
                                 200)
    featured_count: int = _doc("How many Featured posts the home page shows.", 5)
    popular_count: int = _doc("How many posts the 'Most read' lists show.", 5)
    popular_tags_count: int = _doc("How many tags the home page's popular tags list shows.", 12)
    search: bool = _doc("Build the search index and the /search/ page (Pagefind).", True)
    feed_items: int = _doc("How many of the newest stories each feed carries.", 50)
    feed_formats: tuple[str, ...] = _doc(
        'Feeds written for each listing: any of "rss", "atom", "json".',
        ("rss", "atom", "json"))
    feed_full_content: bool = _doc(
        "Feeds carry whole articles (true) or only their descriptions (false).", True)
    images: bool = _doc(
        "Make AVIF/WebP width variants of the local images pages show, offered by srcset.",
        True)
    image_widths: tuple[int, ...] = _doc(
        "Widths of the image variants in pixels (none wider than the original).",
        (320, 640, 960, 1440))
    image_formats: tuple[str, ...] = _doc('Formats of the variants: any of "avif", "webp".',
                                          ("avif", "webp"))
    image_quality: int = _doc("WebP quality of the variants, 1 to 100.", 75)
    image_avif_quality: int = _doc("AVIF quality of the variants, 1 to 100.", 55)
    image_encoding: str = _doc(
        'How hard the variants are encoded: "small" (AVIF speed 8, WebP method 4: the '
        'smallest files) or "fast" (AVIF speed 9, WebP method 2: a first build about twice '
        'as quick, files about 9% larger at the same quality; for previews).', "small")
    embed_allow: tuple[str, ...] = _doc(
        "Hosts whose scripts and iframes may load with the page, e.g. "
        '["www.youtube-nocookie.com"]. Default none: tweets and Telegram posts become '
        "static cards, videos and other iframes click-to-load facades.", default_factory=tuple)
    html_allow_tags: tuple[str, ...] = _doc(
        "Tags raw HTML in bodies may use beyond the safe set masthead keeps (text, links, "
        'images, figures, tables, audio, video), e.g. ["form", "button"]. Scripts and styles '
        "never.", default_factory=tuple)
    html_allow_attributes: tuple[str, ...] = _doc(
        'Attributes raw HTML may use beyond the safe set, as "tag:name" or "*:name", e.g. '
        '["*:style"] (which also lets the Content-Security-Policy allow style attributes).',
        default_factory=tuple)
    trust_public: bool = _doc(
        "Publish public/ byte for byte (true), or (false) SVG sanitized, HTML pages that "
        "masthead did not make with a policy that runs no script, and XHTML or XML that "
        "renders as a page left out: for files that came from elsewhere (an import, "
        "uploads).", False)
    embed_posters: bool = _doc(
        "Fetch YouTube poster images while building, so that video facades show a picture "
        "served by the site itself.", True)
    api_url: str = _doc(
        'Where `masthead api` answers, as the pages see it: "/api" when it is served under '
        "the site's own address, or a full URL. Empty: no view counting, and the newsletter "
        "and contact forms are not connected.", "")
    api_public_url: str = _doc(
        "Where readers reach the API from outside, for the links in emails (confirming a "
        "sign-up, unsubscribing from the newsletter), e.g. https://api.example.org/api. "
        "Empty: base_url + api_url.", "")
    smtp_host: str = _doc("SMTP server for confirmation emails and contact messages "
                          "(user and password from MASTHEAD_SMTP_USER/PASSWORD).", "")
    smtp_port: int = _doc("Port of the SMTP server.", 25)
    smtp_starttls: bool = _doc("Use STARTTLS with the SMTP server.", False)
    smtp_tls: bool = _doc("Use TLS from the first byte with the SMTP server (port 465).",
                          False)
    mail_from: str = _doc("Sender address of the emails the API and the newsletter send.", "")
    dkim_selector: str = _doc(
        "DKIM selector of the newsletter's signature (the key from MASTHEAD_DKIM_KEY_FILE, "
        "its domain the sender's); empty: not signed.", "")
    newsletter_rate: int = _doc("Newsletter messages a minute at most (a provider's quota); "
                                "0: no limit.", 0)
    newsletter_connections: int = _doc("SMTP connections the newsletter uses at once.", 4)
    newsletter_each_story: bool = _doc(
        "Mail each story to the subscribers once it is live, when the desk publishes it "
        "(or a scheduled story's time comes); each story once.", False)
    contact_to: str = _doc("Where contact messages are forwarded by email (they are "
                           "stored either way).", "")
    collections: tuple[CollectionConfig, ...] = _doc(
        "Extra collections: a list of {name, folder, url, template}; docs/ and videos/ are "
        "detected without it.", default_factory=tuple)
    onion: str = _doc(
        "The site's onion address for Tor Browser (http://<56 letters>.onion/): sent as "
        "Onion-Location by the generated headers, so that Tor users are offered it.", "")
    deploy: tuple[DeployTarget, ...] = _doc(
        "Where `masthead deploy` publishes the site: a list of {name, url, to, primary}; "
        "`to` is a folder or an rclone remote (credentials from the environment or rclone's "
        "own config, never here), `url` the address readers use there.",
        default_factory=tuple)
    channels: tuple[ChannelConfig, ...] = _doc(
        "Where each newly published story is also posted, once: a list of {name, kind, "
        "language, chat, api, token_env, account}; kind \"telegram\" posts to the Telegram "
        "channel `chat` (with the bot whose token is in the environment variable "
        "`token_env`) the stories in `language`; kind \"fediverse\" makes `account` "
        "(@account@site-host) a fediverse account that people on Mastodon can follow, "
        "and delivers the stories in `language` to its followers. Posting happens after a "
        "publish at the desk or a verified `masthead deploy`, never on `masthead build`, "
        "and never for the stories published before the channel was added.",
        default_factory=tuple)
    fediverse_key: str = _doc(
        "The private key that signs what the fediverse accounts send, relative to the "
        "site folder (made by the first build that needs it, readable by its owner alone; "
        "the build and `masthead api` must read the same file). Keep it out of version "
        "control: the folder it is made in gets a .gitignore.", ".secrets/fediverse-key.pem")
    mirror_key: str = _doc(
        "Public key of the signed mirror list (made by `masthead mirror-key`). With it, "
        "`masthead deploy` publishes mirrors.json signed with the private key, and returning "
        "readers' browsers fail over to a mirror when the main address does not answer.", "")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address the site is published at: the main one first, then each mirror
        of ``deploy``, then the onion address."""
        found = [self.base_url]
        found += [t.url for t in self.deploy if t.url.rstrip("/") != self.base_url.rstrip("/")]
        if self.onion:
            found.append(self.onion.rstrip("/") + "/")
        return tuple(dict.fromkeys(found))

    @property
    def web_addresses(self) -> tuple[str, ...]:
        """The addresses an ordinary browser can reach (the onion one left out)."""
        return tuple(a for a in self.addresses if a.startswith(("https://", "http://"))
                     and ".onion/" not in a)

    @property
    def failover(self) -> bool:
        """Readers' browsers may fail over to a mirror: a key for the list, and mirrors."""
        return bool(self.mirror_key) and len(self.web_addresses) > 1

    @property
    def api_endpoint(self) -> str:
        """Where pages send forms and API calls. With mirrors, an API under the site's own
        path is given as the main address's, since a mirror (a bucket, a CDN) does not
        serve it."""
        if len(self.web_addresses) > 1 and self.api_url.startswith("/"):
            return self.base_url.rstrip("/") + self.api_url
        return self.api_url

    @property
    def api_address(self) -> str:
        """The API's address in emailed links (no trailing slash): ``api_public_url``,
        else ``base_url`` + ``api_url``. The API's confirmation mails and the
        newsletter's unsubscribe links both use it."""
        if self.api_public_url:
            return self.api_public_url.rstrip("/")
        return self.absolute_url(self.api_url or "/api").rstrip("/")

    def absolute_url(self, path: str) -> str:
        """``/posts/a/`` -> ``https://example.org/posts/a/``."""
        if path[:1] == "/" and path[1:2] != "/":  # a site path, as every page's URL is
            return self.base_url.rstrip("/") + path
        if _SCHEME.match(path):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def documented_fields() -> list[tuple[str, str, Any]]:
    """(name, doc, default) of every setting, for the README and `masthead new`."""
    result = []
    for f in fields(SiteConfig):
        if f.name == "root":
            continue
        default = f.default if f.default is not MISSING else []
        result.append((f.name, f.metadata["doc"], default))
    return result
