"""The site's fediverse accounts as files the build writes, and the documents they hold.

Each ``[[channels]]`` entry of kind ``fediverse`` is an account (``@news@outlet.org``)
that Mastodon and its peers can follow. Everything about it that does not change with
each request is a static file, served by whatever serves the site: the actor (its name,
its public key, where its inbox is), its outbox, NodeInfo, and each story of its
language as an ``Article`` at ``/fediverse/ACCOUNT/articles/SLUG.json`` (the story's
page links to it, as Mastodon looks for). What must answer a request (WebFinger's
``?resource=``, the inbox, the followers' count) is in the API
(``api/features/fediverse.py``), and what is delivered to followers is made from these
files (``channels/fediverse.py``): the build is the one place a story becomes an Article.

An Article carries the story's title, its description, the link to it and the link to
it at the first mirror (the way back when the main address is blocked), never the whole
text: a reader's server shows the title, the summary and the link, and sends the reader
to the site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from masthead import __version__
from masthead.config import ChannelConfig, SiteConfig
from masthead.content.models import Entry
from masthead.errors import BuildFailed, Diagnostic
from masthead.i18n import Strings, load_strings
from masthead.output import write_atomic
from masthead.safeurl import host_of
from masthead.site.index import Site
from masthead.site.urls import Urls

FOLDER = "fediverse"
NODEINFO_LINK = ".well-known/nodeinfo"
ACTIVITY_TYPE = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OUTBOX_SIZE = 20  # the newest Create activities the outbox lists
KEY_BITS = 2048  # what Mastodon makes and every peer reads


class FediverseKeyError(Exception):
    """The fediverse key cannot be read: (what is wrong, with the file; the fix)."""

    def __str__(self) -> str:
        return "; ".join(str(a) for a in self.args)


def fediverse_accounts(config: SiteConfig) -> tuple[ChannelConfig, ...]:
    return tuple(c for c in config.channels if c.kind == "fediverse")


def key_path(config: SiteConfig) -> Path:
    return (config.root / config.fediverse_key).resolve()


def private_key(config: SiteConfig, create: bool = False) -> rsa.RSAPrivateKey:
    """The accounts' signing key; made (readable by its owner alone, in a folder with a
    .gitignore) when ``create`` and it does not exist yet."""
    path = key_path(config)
    if not path.exists() and create:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        ignore = path.parent / ".gitignore"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not ignore.exists() and path.parent != config.root.resolve():
            write_atomic(ignore, b"# private keys: never in version control\n*\n", 0o644)
        write_atomic(path, pem, 0o600)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise FediverseKeyError(
            f"{path}: the fediverse key does not exist",
            "build the site once (the build makes it), or copy here the file the build "
            "made (setting fediverse_key)") from None
    except (OSError, ValueError, TypeError) as exc:
        raise FediverseKeyError(
            f"{path}: not a readable private key ({str(exc).split('.')[0]})",
            "move it away and build again to make a new one (followers' servers fetch "
            "the new public key by themselves)") from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise FediverseKeyError(f"{path}: the fediverse key must be an RSA key",
                                "move it away and build again to make one")
    return loaded


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def api_base(config: SiteConfig) -> str:
    """The API's absolute address (the inbox is there)."""
    api = config.api_url.rstrip("/")
    return config.base_url.rstrip("/") + api if api.startswith("/") else api


@dataclass(frozen=True)
class Account:
    """The addresses of one account, all absolute."""

    config: SiteConfig
    channel: ChannelConfig

    @property
    def name(self) -> str:
        return self.channel.account

    @property
    def handle(self) -> str:
        return f"@{self.name}@{self.host}"

    @property
    def host(self) -> str:
        """The site's host as handles name it (with its port, if it has one)."""
        return urlsplit(self.config.base_url).netloc

    def static(self, rel: str) -> str:
        return f"{self.config.base_url.rstrip('/')}/{rel}"

    @property
    def actor(self) -> str:
        return self.static(self.actor_file)

    @property
    def actor_file(self) -> str:
        return f"{FOLDER}/{self.name}.json"

    @property
    def key_id(self) -> str:
        return self.actor + "#main-key"

    @property
    def outbox_file(self) -> str:
        return f"{FOLDER}/{self.name}/outbox.json"

    def article_file(self, slug: str) -> str:
        return f"{FOLDER}/{self.name}/articles/{slug}.json"

    def article(self, slug: str) -> str:
        return self.static(self.article_file(slug))

    @property
    def inbox(self) -> str:
        return f"{api_base(self.config)}/fediverse/{self.name}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{api_base(self.config)}/fediverse/inbox"

    @property
    def followers(self) -> str:
        return f"{api_base(self.config)}/fediverse/{self.name}/followers"


def accounts_of(config: SiteConfig) -> list[Account]:
    return [Account(config, channel) for channel in fediverse_accounts(config)]


def mirror_of(config: SiteConfig, url: str) -> str:
    """``url`` at the first mirror's address (the primary's own path kept), or ''."""
    addresses = config.web_addresses
    if len(addresses) < 2 or not url.startswith(addresses[0]):
        return ""
    return addresses[1] + url[len(addresses[0]):]


def _iso(moment: dt.datetime) -> str:
    if moment.utcoffset():
        moment = moment.astimezone(dt.UTC)
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


class Articles:
    """Makes each story of one account an ActivityStreams Article: what a follower's
    server shows. What is the same for every story is worked out once (a 10,000-story
    site makes 10,000 of them on every build)."""

    def __init__(self, account: Account, strings: Strings | None) -> None:
        config = account.config
        self.account = account
        self.read = strings("email_read_on_site") if strings else "Read it on the site"
        self.blocked = strings("channel_blocked") if strings else "Blocked? The same story at"
        addresses = config.web_addresses
        self.primary, self.mirror = (addresses[0], addresses[1]) if len(addresses) > 1 \
            else ("", "")
        self.own_hosts = {host_of(a) for a in addresses} | {host_of(config.base_url)}
        self.actor, self.followers = account.actor, account.followers
        self.absolute_url = config.absolute_url

    def mirror_of(self, url: str) -> str:
        if not self.mirror or not url.startswith(self.primary):
            return ""
        return self.mirror + url[len(self.primary):]

    def article(self, entry: Entry, url: str) -> dict[str, Any]:
        parts = [f"<p>{escape(entry.description)}</p>"] if entry.description else []
        parts.append(f'<p>{escape(self.read)}: <a href="{escape(url)}">{escape(url)}</a></p>')
        mirror = self.mirror_of(url)
        if mirror:
            parts.append(f'<p>{escape(self.blocked)}: <a href="{escape(mirror)}">'
                         f"{escape(mirror)}</a></p>")
        # Mastodon shows an Article as its name, its summary and its url (plain text,
        # links made clickable), not its content: the way back goes in the summary too
        summary = "\n\n".join(p for p in (entry.description,
                                          f"{self.blocked}: {mirror}" if mirror else "") if p)
        content = "".join(parts)
        doc: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": self.account.article(entry.slug),
            "type": "Article",
            "attributedTo": self.actor,
            "name": entry.title,
            "content": content,
            "contentMap": {entry.lang: content},
            "summary": summary,
            "url": url,
            "published": _iso(entry.date),
            "to": [PUBLIC],
            "cc": [self.followers],
        }
        if entry.modified and entry.modified > entry.date:
            doc["updated"] = _iso(entry.modified)
        image = entry.image
        own = image[:1] == "/" and image[1:2] != "/"  # a site path: on the site's host
        image = self.absolute_url(image) if image else ""
        if image and (own or host_of(image) in self.own_hosts):
            doc["image"] = {"type": "Image", "url": image}
            doc["attachment"] = [{"type": "Image", "url": image, "name": entry.title}]
        if entry.tags:
            names = ("".join(tag.split()) for tag in entry.tags[:10])
            doc["tag"] = [{"type": "Hashtag", "name": "#" + name} for name in names if name]
        return doc


def create_of(account: Account, article_doc: dict[str, Any], kind: str = "Create",
              suffix: str = "create") -> dict[str, Any]:
    """An activity that carries ``article_doc``: Create, or Update (``suffix`` makes its
    id unique per version)."""
    return {"@context": AS_CONTEXT, "id": f"{article_doc['id']}#{suffix}", "type": kind,
            "actor": account.actor, "published": article_doc.get("updated")
            or article_doc["published"], "to": [PUBLIC], "cc": [account.followers],
            "object": article_doc}


def delete_of(account: Account, article_id: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": f"{article_id}#delete", "type": "Delete",
            "actor": account.actor, "to": [PUBLIC], "cc": [account.followers],
            "object": {"id": article_id, "type": "Tombstone"}}


def actor(account: Account, pem: str, front: str, icon: str) -> dict[str, Any]:
    config = account.config
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT,
                     {"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                      "toot": "http://joinmastodon.org/ns#",
                      "discoverable": "toot:discoverable", "indexable": "toot:indexable"}],
        "id": account.actor,
        "type": "Organization",
        "preferredUsername": account.name,
        "name": config.title,
        "summary": f"<p>{escape(config.description)}</p>" if config.description else "",
        "url": front,
        "inbox": account.inbox,
        "outbox": account.static(account.outbox_file),
        "followers": account.followers,
        "endpoints": {"sharedInbox": account.shared_inbox},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "indexable": True,
        "publicKey": {"id": account.key_id, "owner": account.actor, "publicKeyPem": pem},
    }
    if icon:
        doc["icon"] = {"type": "Image", "url": icon}
    return doc


def _json(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def fediverse_files(config: SiteConfig, site: Site, now: dt.datetime) -> dict[str, bytes]:
    """Every static file of the site's accounts (none without one)."""
    accounts = accounts_of(config)
    if not accounts:
        return {}
    try:
        pem = public_pem(private_key(config, create=True))
    except FediverseKeyError as exc:
        raise BuildFailed([Diagnostic(config.fediverse_key, None, str(exc.args[0]),
                                      exc.args[1] if len(exc.args) > 1 else None)]) from None
    except OSError as exc:
        raise BuildFailed([Diagnostic(
            config.fediverse_key, None, f"the fediverse key cannot be written: "
            f"{exc.strerror or exc}", "make the folder writable, or set fediverse_key to a "
            "file in one that is")]) from None
    strings = load_strings(config.root, tuple(site.languages))
    icon_path = config.logo_cropped or config.logo
    icon = config.absolute_url(icon_path) if icon_path else ""
    files: dict[str, bytes] = {}
    posts = 0
    for account in accounts:
        lang = account.channel.language
        language = site.languages.get(lang)
        if language is None:
            continue
        urls = Urls(language.prefix, language.layout)
        own = [e for e in site.own_posts(lang) if e.instant <= now.timestamp()]
        make = Articles(account, strings.get(lang))
        base = config.base_url.rstrip("/")
        docs = []
        for entry in own:
            doc = make.article(entry, base + urls.entry(entry))
            files[account.article_file(entry.slug)] = orjson.dumps(doc)
            docs.append(doc)
        posts += len(own)
        newest = sorted(docs, key=lambda doc: doc["published"], reverse=True)[:OUTBOX_SIZE]
        outbox = {"@context": AS_CONTEXT, "id": account.static(account.outbox_file),
                  "type": "OrderedCollection", "totalItems": len(docs),
                  "orderedItems": [create_of(account, doc) for doc in newest]}
        files[account.outbox_file] = _json(outbox)
        front = config.absolute_url(language.prefix + "/")
        files[account.actor_file] = _json(actor(account, pem, front, icon))
    nodeinfo = f"{config.base_url.rstrip('/')}/{FOLDER}/nodeinfo.json"
    files[NODEINFO_LINK] = _json({"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": nodeinfo}]})
    files[f"{FOLDER}/nodeinfo.json"] = _json({
        "version": "2.1",
        "software": {"name": "masthead", "version": __version__},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {"users": {"total": len(accounts)}, "localPosts": posts},
        "metadata": {"nodeName": config.title}})
    return files
