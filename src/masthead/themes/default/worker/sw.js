// masthead's failover service worker. It keeps the page shell and the stories a reader
// opened, and when this address does not answer (a network error, a time-out, or a block
// page: a wrong status, a wrong content type, a redirect elsewhere) it asks the site's
// mirrors, in the order of the signed mirror list (mirrors.json), for the same path. A
// list whose Ed25519 signature does not verify against the key below is ignored. Nothing
// about the reader is stored or sent anywhere: only the site's own files are cached.
"use strict";

const SETTINGS = /*masthead:settings*/ { key: "", shell: [], version: "" };
const SHELL = `masthead-shell-${SETTINGS.version}`;
const PAGES = "masthead-pages";
const STATE = "masthead-state";
const LIST_URL = "/mirrors.json";
const LIST_KEY = "/__masthead/mirror-list";
const KEEP_PAGES = 60; // stories kept for reading offline, newest first
const WAIT = 8000; // ms before an address that does not answer counts as blocked
const DOWN_FOR = 120000; // ms this address is skipped once it failed
const REFRESH_EVERY = 3600000; // ms between two looks for a newer mirror list
const ANSWERS = new Set([404, 410]); // statuses that are the site's own answer

let downUntil = 0;
let preferred = "";
let refreshed = 0;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await Promise.allSettled(SETTINGS.shell.map((url) => shell.add(url)));
    await refreshList([self.location.origin]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("masthead-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/sw.js" || url.pathname === LIST_URL) return;
  event.respondWith(respond(event, request, url));
});

async function respond(event, request, url) {
  const navigate = request.mode === "navigate";
  const asset = url.pathname.startsWith("/assets/");
  if (asset) {
    const hit = await caches.match(request);
    if (hit) return hit;
  }
  let own = null;
  if (Date.now() >= downUntil) {
    try {
      own = await within(request, {}, WAIT);
      if (answered(own, navigate, self.location.origin) || ANSWERS.has(own.status)) {
        if (own.ok) event.waitUntil(keep(url, own.clone(), navigate, asset));
        if (navigate && Date.now() - refreshed > REFRESH_EVERY) {
          refreshed = Date.now();
          event.waitUntil(refreshList([self.location.origin]));
        }
        return own;
      }
    } catch (error) {
      own = null;
    }
    downUntil = Date.now() + DOWN_FOR;
  }
  const mirrored = await fromMirrors(event, url, navigate);
  if (mirrored) {
    event.waitUntil(keep(url, mirrored.clone(), navigate, asset));
    return mirrored;
  }
  const kept = await caches.match(url.href);
  if (kept) return kept;
  if (own) return own;
  if (navigate) {
    const page = await caches.match("/mirrors/");
    if (page) return page;
  }
  return Response.error();
}

// A response that is this site's page or file, not a block page put in its place.
function answered(response, navigate, origin) {
  if (response.type === "opaqueredirect") return true; // a redirect on the site itself
  if (!response.ok) return false;
  if (response.redirected && new URL(response.url).origin !== origin) return false;
  const type = response.headers.get("content-type") || "";
  return !navigate || type.startsWith("text/html");
}

async function fromMirrors(event, url, navigate) {
  const list = await storedList();
  if (!list) return null;
  const here = self.location.origin;
  const origins = list.mirrors.map((address) => new URL(address).origin)
    .filter((origin) => origin !== here);
  if (origins.includes(preferred)) origins.sort((a, b) => (b === preferred) - (a === preferred));
  for (const origin of origins) {
    try {
      const response = await within(origin + url.pathname + url.search,
        { mode: "cors", credentials: "omit", redirect: "follow" }, WAIT);
      if (!answered(response, navigate, origin)) continue;
      if (preferred !== origin) {
        preferred = origin;
        event.waitUntil(refreshList([origin])); // a newer list may be there
      }
      const headers = new Headers();
      for (const name of ["content-type", "content-language", "last-modified"]) {
        const value = response.headers.get(name);
        if (value) headers.set(name, value);
      }
      // A response of this origin's own (no URL of the mirror's), as if the page came
      // from here: links, forms and the page's own policy stay the site's.
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    } catch (error) {
      // the next mirror
    }
  }
  return null;
}

async function keep(url, response, navigate, asset) {
  try {
    if (asset) {
      await (await caches.open(SHELL)).put(url.href, response);
    } else if (navigate && (response.headers.get("content-type") || "").startsWith("text/html")) {
      const pages = await caches.open(PAGES);
      await pages.delete(url.href); // put it back as the newest
      await pages.put(url.href, response);
      const keys = await pages.keys();
      for (const old of keys.slice(0, Math.max(0, keys.length - KEEP_PAGES))) {
        await pages.delete(old);
      }
    }
  } catch (error) {
    // a full disk or a private window: reading goes on without a copy
  }
}

async function within(input, init, ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await fetch(input, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function storedList() {
  try {
    const response = await (await caches.open(STATE)).match(LIST_KEY);
    return response ? await response.json() : null;
  } catch (error) {
    return null;
  }
}

// Fetch mirrors.json from the first of ``origins`` that has one and keep it if its
// signature is good and it is not older than the list already kept.
async function refreshList(origins) {
  for (const origin of origins) {
    try {
      const response = await within(origin + LIST_URL, {
        mode: origin === self.location.origin ? "same-origin" : "cors",
        credentials: "omit", cache: "no-cache",
      }, WAIT);
      if (!response.ok) continue;
      const list = await verified(await response.text());
      if (!list) continue;
      const known = await storedList();
      if (!known || list.issued >= known.issued) {
        await (await caches.open(STATE)).put(LIST_KEY, new Response(JSON.stringify(list),
          { headers: { "content-type": "application/json" } }));
      }
      return;
    } catch (error) {
      // the next origin
    }
  }
}

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

async function verified(text) {
  try {
    const outer = JSON.parse(text);
    const key = await crypto.subtle.importKey("raw", bytes(SETTINGS.key),
      { name: "Ed25519" }, false, ["verify"]);
    const good = await crypto.subtle.verify({ name: "Ed25519" }, key,
      bytes(outer.signature), new TextEncoder().encode(outer.payload));
    if (!good) return null;
    const list = JSON.parse(outer.payload);
    if (list.version !== 1 || typeof list.issued !== "string" || !Array.isArray(list.mirrors)) {
      return null;
    }
    list.mirrors = list.mirrors.filter(usable);
    return list;
  } catch (error) {
    return null; // no Ed25519 in this browser, or not a list: no failover, nothing breaks
  }
}

// An address a browser may be sent to: https (http only when this site is on http, as a
// local test is), no credentials, no onion (Tor Browser reaches it by Onion-Location).
function usable(address) {
  try {
    const url = new URL(address);
    const scheme = url.protocol === "https:" ||
      (url.protocol === "http:" && self.location.protocol === "http:");
    return scheme && !url.username && !url.password && !url.hostname.endsWith(".onion");
  } catch (error) {
    return false;
  }
}
