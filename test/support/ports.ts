// The one free-port picker of the tests. Prefer `port: 0` wherever the code under test can bind
// it and report the port (every in-process server here does): there is no race then. This is for
// what cannot: a child process that must be told its port up front (`next start --port`), and
// "a port nothing listens on" for dial failures.
//
// The port is released before it is used, so another process could take it in between. Accepted:
// Linux picks a listen(0) port at random across the ephemeral range (tens of thousands of ports),
// the gap lasts milliseconds, and our listeners set SO_REUSEADDR, so connections that merely use
// the port as their local end do not block it. A lost race shows as EADDRINUSE in the child's
// output (or a refused dial succeeding), never as a silent wrong result.
import net from "node:net";

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
