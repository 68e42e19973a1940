// Preloaded (node --import) into the reference gateway of `npm run bench` (Portkey's open-source
// gateway), which offers no listen-address option:
// - its server listens on every interface by default: this pins a bare listen(port) to loopback;
// - on Node 20 its streamed replies fail with "TypeError: immutable" (it appends headers to the
//   upstream fetch Response, whose headers are immutable: Portkey-AI/gateway issues #1389 and
//   #1550): fetch responses are handed over as fresh Response objects with mutable headers, as
//   their fix (PR #1551) does.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "object" && args[0] !== null && args[0].path === undefined) args[0] = { ...args[0], host: "127.0.0.1" };
  else if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};

const fetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const response = await fetch(...args);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
};
