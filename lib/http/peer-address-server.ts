// Installs the stamp of lib/http/client-address.ts on every HTTP server of this process. Next.js
// gives route handlers no access to the socket, so the address is written into the request's
// headers when the server emits it, before Next.js reads them.
import "server-only";
import http from "node:http";
import { stampPeerAddress } from "./client-address";

const installedKey = Symbol.for("morpheus.http.peerAddressInstalled");

/** Idempotent (instrumentation may run again under hot reload). Plain http.Server only: `next start` and `next dev` use it. */
export function installPeerAddress(): void {
  const store = globalThis as { [installedKey]?: boolean };
  if (store[installedKey]) return;
  store[installedKey] = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const request = args[0] as http.IncomingMessage;
      stampPeerAddress(request.headers, request.socket?.remoteAddress);
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  };
}
