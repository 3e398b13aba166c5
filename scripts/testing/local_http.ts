/**
 * Real HTTP servers on 127.0.0.1, port 0, whose answers each test writes: webhooks that take, fail
 * or ignore alerts, and servers that publish a workbook (304s, drops, slow answers). Loopback only.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { connect, type AddressInfo } from "node:net";

/** A request as the server received it, body included. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A running local server. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request received so far, in order. */
  requests: ReceivedRequest[];
  /** Closes the server and every connection, answered or not. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1:0 that reads each request's body and then calls `answer` with it
 * and its 1-based number; `answer` may also never answer, or destroy the socket halfway.
 *
 * @example
 * ```ts
 * const hook = await localServer((req, res) => res.end("ok"));
 * await fetch(hook.url, { method: "POST", body: "{}" });
 * hook.requests[0].body.toString(); // "{}"
 * await hook.close();
 * ```
 */
export async function localServer(answer: (request: ReceivedRequest, res: ServerResponse, n: number) => void): Promise<LocalServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      answer(request, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Returns a loopback URL nothing listens on: a receiver that is down. Its port stays held on
 * 127.0.0.1 for the life of the process and the URL names it on 127.0.0.2, where nothing listens,
 * so connections are refused. (A port closed again, as before, was free for any server started
 * meanwhile on port 0 by the tests running in parallel, and the "down" receiver could answer.)
 * Where 127.0.0.2 is not a loopback address (macOS), the port is closed and named on 127.0.0.1.
 *
 * @example
 * ```ts
 * await fetch(await downUrl()); // rejects: ECONNREFUSED
 * ```
 */
export async function downUrl(): Promise<string> {
  const held = createServer();
  await new Promise<void>((resolve, reject) => held.once("error", reject).listen(0, "127.0.0.1", resolve));
  held.unref();
  const { port } = held.address() as AddressInfo;
  if (await refused("127.0.0.2", port)) return `http://127.0.0.2:${port}`;
  await new Promise<void>((resolve) => held.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** True when a TCP connection to `host`:`port` is refused (ECONNREFUSED), false when it fails otherwise or is taken. */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}
