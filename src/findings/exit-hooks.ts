// Last-chance synchronous flushes. Buffered store writes and outbox appends are moved to SQLite on
// `beforeExit` (the event loop ran dry) and on `exit` (including `process.exit()`); better-sqlite3
// is synchronous, so this works even in `exit`. One listener pair serves every open store and
// exporter, so opening many of them never trips the max-listeners warning. Hooks run newest
// first, like destructors: a recorder opened on top of a store hands its last records to the
// store before the store's own hook writes them. Signals are left alone: installing a
// SIGINT/SIGTERM handler would change how the host process exits.

type Hook = () => void;

const hooks = new Set<Hook>();
let installed = false;

function runAll(): void {
  for (const hook of [...hooks].reverse()) {
    try {
      hook();
    } catch {
      // One failing store must not keep the others from saving their data.
    }
  }
}

/** Registers `hook` to run on process exit; returns the function that removes it. */
export function onProcessExit(hook: Hook): () => void {
  hooks.add(hook);
  if (!installed) {
    installed = true;
    process.on('beforeExit', runAll);
    process.on('exit', runAll);
  }
  return () => {
    hooks.delete(hook);
    if (hooks.size === 0 && installed) {
      installed = false;
      process.off('beforeExit', runAll);
      process.off('exit', runAll);
    }
  };
}
