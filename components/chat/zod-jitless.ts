// zod (inside the AI SDK, validating the answer stream) compiles validators with `Function` when it
// may, probing for it as each object schema is built: the page's CSP has no 'unsafe-eval', so the
// probe is a reported violation. playground.tsx imports this before the AI SDK builds any schema.
// In the browser only: the server (its gateway's request schemas) keeps zod's compiled validators.
import { config } from "zod/v4/core";

if (typeof window !== "undefined") config({ jitless: true });
