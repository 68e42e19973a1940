// Ctrl-C reaches a script twice: from the terminal (the whole process group) and relayed by the
// npm / tsx wrappers. `process.once` would let the second SIGINT kill the process mid-cleanup,
// orphaning its children, so the handler stays installed and runs the shutdown only once.
export function onShutdownSignal(shutdown: (signal: NodeJS.Signals) => void | Promise<void>): void {
  let started = false;
  const handle = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    void shutdown(signal);
  };
  process.on("SIGINT", handle);
  process.on("SIGTERM", handle);
}
