// `npm run bench`: the end-to-end bench (scripts/bench/e2e.ts): one table of the demo model
// directly, the provider node alone, the full gateway path and a reference gateway, measured
// interleaved in one run. Prints figures only; nothing asserts on timing.
//   npm run bench                      the full run
//   npm run bench -- --quick           a short run (under 2 minutes of measuring)
//   npm run bench -- --quick --profile also --cpu-prof the gateway and the provider node, and summarise
//   npm run bench -- --streams=200     concurrent paced streams (default 500, 64 with --quick)
//   npm run bench -- --gateway-heap-mb=256  the gateway under node --max-old-space-size=256
//   npm run bench -- micro [filter]    micro-benchmarks of the MOR-RPC hot path (scripts/bench/micro.ts)
export {};
const args = process.argv.slice(2);
if (args[0] === "micro") {
  process.argv.splice(2, 1);
  await import("./bench/micro");
} else {
  const { runEndToEnd } = await import("./bench/e2e");
  await runEndToEnd(args);
  process.exit(0);
}
