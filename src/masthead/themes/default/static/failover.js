// Registers the site's failover service worker (/sw.js): it lets a returning reader keep
// reading from a mirror when this address is blocked. Without JavaScript nothing changes.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
