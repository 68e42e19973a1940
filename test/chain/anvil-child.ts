// Started by anvil.test.ts as a separate process: starts an anvil, reports it, then either exits
// normally ("exit") or waits to be killed ("hang"). The anvil must not outlive this process.
import { startAnvil } from "../../lib/chain/anvil";

const anvil = await startAnvil({ silent: true });
console.log(JSON.stringify({ pid: anvil.pid, rpcUrl: anvil.rpcUrl }));
if (process.argv[2] === "exit") process.exit(0);
setInterval(() => undefined, 60_000);
