/**
 * A TCP relay to a PostgreSQL server that can stop passing bytes both ways while keeping every
 * connection open: a frozen server, or one cut off by a network partition, as its clients see it.
 */
import { connect, createServer, type Socket } from "node:net";

/**
 * A running relay: its port on 127.0.0.1; `freeze()` stops passing bytes; `cutOff()` freezes and
 * also resets every new connection (a partition: nothing gets through, a new connection neither),
 * counted in `refused`; `cutOffWhenSent(text)` does so the moment a client sends bytes holding
 * `text`, that connection ended without them (the server gone at that statement);
 * `resetWhenSent(text)` resets only the first connection that sends such bytes and goes on relaying
 * (a proxy's failover at that statement: the client's reconnect gets through); `holdWhenSent(text)`
 * keeps the bytes of the first connection that sends such bytes, and all it sends after, until
 * `releaseHeld()` passes them on (a server that answers that statement late);
 * `resetWhenCommitted(text)` resets the first connection that sends such bytes the moment the
 * server's answer on it holds a COMMIT's, without passing that answer on (the transaction committed,
 * its client never told so); `close()`.
 */
export interface TcpRelay {
  port: number;
  freeze(): void;
  cutOff(): void;
  cutOffWhenSent(text: string): void;
  resetWhenSent(text: string): void;
  holdWhenSent(text: string): void;
  resetWhenCommitted(text: string): void;
  releaseHeld(): void;
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * Starts a relay to `target` (its host and port, 5432 by default) on 127.0.0.1:0.
 *
 * @example
 * ```ts
 * const relay = await tcpRelay(new URL(TEST_POSTGRES_URL));
 * relay.freeze(); // every connection through it now hangs
 * ```
 */
export async function tcpRelay(target: URL): Promise<TcpRelay> {
  let frozen = false;
  let cut = false;
  let refused = 0;
  let cutOffOn: string | undefined;
  let resetOn: string | undefined;
  let holdOn: string | undefined;
  let commitOn: string | undefined;
  /** The held connection's bytes and where they go, once one holds. */
  let held: { chunks: Buffer[]; to: Socket } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (cut) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    // This connection sent commitOn's text: its next COMMIT's answer ends it.
    let committing = false;
    client.on("data", (d: Buffer) => {
      if (commitOn !== undefined && d.includes(commitOn)) {
        commitOn = undefined;
        committing = true;
      }
      if (cutOffOn !== undefined && d.includes(cutOffOn)) {
        frozen = cut = true;
        client.destroy();
        return;
      }
      if (resetOn !== undefined && d.includes(resetOn)) {
        resetOn = undefined;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (holdOn !== undefined && d.includes(holdOn)) {
        holdOn = undefined;
        held = { chunks: [], to: upstream };
      }
      if (held?.to === upstream) held.chunks.push(d);
      else if (!frozen) upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      // CommandComplete ('C') with the tag COMMIT: the server has committed.
      if (committing && d.includes("C\0\0\0\x0bCOMMIT\0")) {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (!frozen) client.write(d);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    cutOff: () => void (frozen = cut = true),
    cutOffWhenSent: (text: string) => void (cutOffOn = text),
    resetWhenSent: (text: string) => void (resetOn = text),
    holdWhenSent: (text: string) => void (holdOn = text),
    resetWhenCommitted: (text: string) => void (commitOn = text),
    releaseHeld: () => {
      if (held === undefined) return;
      for (const d of held.chunks) held.to.write(d);
      held = undefined;
    },
    get refused() {
      return refused;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the relay's. */
export function throughRelay(url: string, relay: TcpRelay): string {
  const through = new URL(url);
  through.hostname = "127.0.0.1";
  through.port = String(relay.port);
  return through.toString();
}
