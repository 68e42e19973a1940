// Vitest runs server code outside Next; "server-only" would throw there.
export {};
