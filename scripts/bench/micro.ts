// `npm run bench -- micro`: micro-benchmarks of hot paths. Prints figures only; nothing asserts on timing.
//   npm run bench -- micro            all benchmarks
//   npm run bench -- micro provider   only those whose name contains "provider"
import {
  bytesToHex,
  createPrivateKey,
  decodeResult,
  eciesDecryptFromHex,
  eciesEncryptToHex,
  encodeResult,
  openPromptResult,
  parseResponse,
  publicKeyFromPrivate,
  sealPromptResult,
  secp256k1Backend,
  signResult,
  verifyResult,
} from "@/lib/morrpc";
import { fastKeccakReady } from "@/lib/morrpc/signing";

// The servers hash with the WebAssembly keccak once it is ready (a moment after start): so does this.
const fastKeccak = await fastKeccakReady();

interface Bench {
  name: string;
  /** Builds the inputs once and returns the operation to time. */
  setup: () => () => unknown;
}

const userKey = createPrivateKey();
const userPub = bytesToHex(publicKeyFromPrivate(userKey));
const providerKey = createPrivateKey();
const providerPub = bytesToHex(publicKeyFromPrivate(providerKey));
// A typical streamed chat chunk as the provider re-serializes it (sorted keys).
const chunk =
  '{"choices":[{"delta":{"content":" the"},"finish_reason":null,"index":0}],"created":1719253477,' +
  '"id":"chatcmpl-123","model":"llama-3.1-8b","object":"chat.completion.chunk"}';

const benches: Bench[] = [
  {
    name: "morrpc provider: chunk → ECIES encrypt (fresh ephemeral key) + sign + wire",
    setup: () => () => encodeResult("session.prompt", "deadbeef", sealPromptResult(chunk, userPub, providerKey)),
  },
  {
    name: "morrpc consumer: wire → parse + verify signature + ECIES decrypt",
    setup: () => {
      const wire = encodeResult("session.prompt", "deadbeef", sealPromptResult(chunk, userPub, providerKey));
      return () => openPromptResult(decodeResult("session.prompt", parseResponse(wire).result), providerPub, userKey);
    },
  },
  {
    name: "morrpc part: ECIES encrypt only",
    setup: () => () => eciesEncryptToHex(userPub, chunk),
  },
  {
    name: "morrpc part: ECIES decrypt only",
    setup: () => {
      const ct = eciesEncryptToHex(userPub, chunk);
      return () => eciesDecryptFromHex(userKey, ct);
    },
  },
  {
    name: "morrpc part: sign prompt result only",
    setup: () => {
      const ciphertext = eciesEncryptToHex(userPub, chunk);
      return () => signResult("session.prompt", { ciphertext, timestamp: 1719253477054 }, providerKey);
    },
  },
  {
    name: "morrpc part: verify prompt result only",
    setup: () => {
      const signed = signResult("session.prompt", { ciphertext: eciesEncryptToHex(userPub, chunk), timestamp: 1 }, providerKey);
      return () => verifyResult("session.prompt", signed, providerPub);
    },
  },
];

function measure(op: () => unknown, budgetMs: number): { ops: number; ms: number } {
  const start = performance.now();
  let ops = 0;
  let now = start;
  while (now - start < budgetMs) {
    for (let i = 0; i < 50; i++) op(); // batches keep the clock reads out of the figure
    ops += 50;
    now = performance.now();
  }
  return { ops, ms: now - start };
}

function run(): void {
  const filter = process.argv.slice(2).join(" ").toLowerCase();
  const selected = benches.filter((b) => b.name.toLowerCase().includes(filter));
  const { backend, loadError } = secp256k1Backend();
  console.log(`secp256k1 backend: ${backend}${loadError ? ` (native failed: ${loadError})` : ""}; keccak: ${fastKeccak ? "WebAssembly (hash-wasm)" : "JavaScript (@noble/hashes)"}`);
  console.log(`node ${process.version}, ${selected.length} benchmark(s), ~1 s each after warm-up\n`);
  const width = Math.max(...selected.map((b) => b.name.length));
  for (const bench of selected) {
    const op = bench.setup();
    measure(op, 200); // warm-up: JIT, lazy native init
    const { ops, ms } = measure(op, 1000);
    const opsPerSec = (ops / ms) * 1000;
    const usPerOp = (ms * 1000) / ops;
    console.log(`${bench.name.padEnd(width)}  ${opsPerSec.toFixed(0).padStart(8)} ops/s  ${usPerOp.toFixed(1).padStart(8)} µs/op`);
  }
}

run();
