// An independent fediverse server for the tests: Fedify (npm @fedify/fedify), with one
// account, "reader", that follows masthead's accounts, likes and answers their stories,
// and keeps every activity its inbox accepted. Fedify verifies each delivery's HTTP
// signature against the key it fetches from the sender's actor document before an
// inbox listener sees it: what is listed at /control/events was signed, and verified.
// Its actor is served only to signed requests (authorized fetch).
//
//   node fedify_peer.mjs PORT [rfc9421|draft-cavage-http-signatures-12]
//
// Control (JSON): POST /control/follow {actor}, /control/unfollow {actor},
// /control/like {object}, /control/reply {object}; GET /control/events.
import http from "node:http";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import {
  Accept, Create, Delete, Endpoints, Follow, Like, Note, Person, Undo, Update,
} from "@fedify/vocab";

const port = Number(process.argv[2]);
const firstKnock = process.argv[3] || "rfc9421";
const origin = `http://127.0.0.1:${port}`;
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const events = [];
let made = 0;

const federation = createFederation({
  kv: new MemoryKvStore(), allowPrivateAddress: true, firstKnock,
});

federation.setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
  if (identifier !== "reader") return null;
  const pairs = await ctx.getActorKeyPairs(identifier);
  return new Person({
    id: ctx.getActorUri(identifier), preferredUsername: identifier, name: "A reader",
    inbox: ctx.getInboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: pairs[0].cryptographicKey,
  });
}).setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "reader" ? [keys] : []))
  // authorized fetch, as Mastodon's secure mode: the actor only to a signed GET whose key
  // Fedify fetched and verified (every fetch is listed: a "fetch" event says which)
  .authorize(async (ctx) => {
    const owner = await ctx.getSignedKeyOwner();
    events.push({ type: "fetch", signed: owner !== null, actor: owner?.id?.href ?? null });
    return owner !== null;
  });

const keep = (kind) => async (ctx, activity) => {
  const object = await activity.getObject({ suppressError: true }).catch(() => null);
  events.push({
    type: kind, id: activity.id?.href ?? null, actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    name: object && "name" in object ? String(object.name ?? "") : null,
    inbox: ctx.recipient === null ? "shared" : ctx.recipient,
  });
};

federation.setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, keep("Accept"))
  .on(Create, keep("Create"))
  .on(Update, keep("Update"))
  .on(Delete, keep("Delete"));

const context = () => federation.createContext(new URL(origin), undefined);
const reader = (ctx) => ctx.getActorUri("reader");
const fresh = (what) => new URL(`${origin}/${what}/${++made}`);

async function send(target, activity) {
  const ctx = context();
  const actor = await ctx.lookupObject(target);
  if (actor === null) throw new Error(`cannot look up ${target}`);
  await ctx.sendActivity({ identifier: "reader" }, actor, activity(ctx, actor));
}

const control = {
  follow: ({ actor }) => send(actor, (ctx, them) => new Follow({
    id: fresh("follows"), actor: reader(ctx), object: them.id,
  })),
  unfollow: ({ actor }) => send(actor, (ctx, them) => new Undo({
    id: fresh("undos"), actor: reader(ctx),
    object: new Follow({ id: new URL(`${origin}/follows/1`), actor: reader(ctx), object: them.id }),
  })),
  like: ({ object, actor }) => send(actor, (ctx) => new Like({
    id: fresh("likes"), actor: reader(ctx), object: new URL(object),
  })),
  reply: ({ object, actor }) => send(actor, (ctx) => new Create({
    id: fresh("creates"), actor: reader(ctx),
    object: new Note({
      id: fresh("notes"), attribution: reader(ctx), content: "A reply",
      replyTarget: new URL(object),
    }),
  })),
};

async function toRequest(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return new Request(`${origin}${req.url}`, {
    method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
  });
}

http.createServer(async (req, res) => {
  try {
    const request = await toRequest(req);
    const path = new URL(request.url).pathname;
    if (path === "/control/events") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(events));
      return;
    }
    if (path.startsWith("/control/")) {
      const action = control[path.slice("/control/".length)];
      if (!action) { res.writeHead(404); res.end(); return; }
      await action(await request.json());
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
      return;
    }
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
}).listen(port, "127.0.0.1", () => console.log(`fedify peer on ${origin}`));
