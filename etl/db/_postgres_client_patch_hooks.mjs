// Module hooks (node:module register()) that mend one bug of the `postgres` client (3.4.x) as it
// is loaded: see patchPostgresClient() in _postgres_client_guards.ts. Plain JavaScript: hooks run
// on their own thread, before any TypeScript loader.

// Where a connection's socket is torn down (terminate(), closed()), its buffered write's timer is
// cleared but not forgotten, and the bytes it would have sent stay buffered.
const TEARDOWN = /^(\s*)clearImmediate\(nextWriteTimer\)$/gm;

/**
 * Loads the client's connection.js with each teardown forgetting its buffered write.
 *
 * @param {string} url
 * @param {object} context
 * @param {(url: string, context: object) => Promise<{ source?: string | ArrayBuffer | Uint8Array | null }>} nextLoad
 */
export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!/[\\/]postgres[\\/](cjs[\\/])?src[\\/]connection\.js$/.test(url) || loaded.source == null) return loaded;
  const source = typeof loaded.source === "string" ? loaded.source : new TextDecoder().decode(loaded.source);
  return { ...loaded, source: source.replace(TEARDOWN, "$1clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null") };
}
