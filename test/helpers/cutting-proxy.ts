import { connect, createServer, type Socket } from "node:net";

/**
 * How the proxy breaks a request whose request line matches: "body" cuts the connection after `afterBytes` bytes of
 * the request have passed (the server gets a part cut off midway, the client no answer); "answer" lets the whole
 * request through and cuts the connection when the server's answer to it starts (the server stored the part, the
 * client never hears so).
 */
export type CutMode = "body" | "answer";

const PROXY_HOST = "127.0.0.2";

export interface CuttingProxy {
  /** `http://127.0.0.2:PORT`: use it as the server address. */
  url: string;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Paths of the request lines that matched, in order (they hold upload tokens: record them as secrets). */
  readonly matched: string[];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the server at `target` that breaks the connection of requests whose request line matches
 * `pattern` (a network that fails midway, as a flaky link or a proxy restart would), `times` times, then passes
 * everything. Each connection is cut with a reset on both sides: neither the client nor the server gets a clean end.
 */
export async function startCuttingProxy(
  target: string,
  opts: { pattern: RegExp; mode: CutMode; times: number; afterBytes?: number },
): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let cuts = 0;
  const matched: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    // Once a cut is decided, nothing more passes either way.
    let dead = false;
    const cut = () => {
      dead = true;
      cuts++;
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    // The end of the last piece, so a request line split over two pieces is still seen.
    let tail = "";
    // Bytes of the matching request still allowed through ("body"), or whether its answer is to be cut ("answer").
    let allowance: number | null = null;
    let cutAnswer = false;
    client.on("data", (piece: Buffer) => {
      if (dead) return;
      if (allowance === null && !cutAnswer && cuts < opts.times) {
        const text = tail + piece.toString("latin1");
        const hit = opts.pattern.exec(text);
        tail = text.slice(-512);
        if (hit !== null) {
          tail = "";
          matched.push(hit[0]);
          if (opts.mode === "answer") cutAnswer = true;
          else allowance = (opts.afterBytes ?? 0) + Math.max(0, hit.index - (text.length - piece.length));
        }
      }
      if (allowance !== null) {
        if (piece.length >= allowance) {
          dead = true;
          // Cut once these last bytes have left for the server: it gets the part up to here, then a reset.
          upstream.write(piece.subarray(0, allowance), cut);
          return;
        }
        allowance -= piece.length;
      }
      upstream.write(piece);
    });
    upstream.on("data", (piece: Buffer) => {
      if (dead) return;
      if (cutAnswer) {
        cut();
        return;
      }
      client.write(piece);
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    for (const socket of [client, upstream]) {
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on("close", () => sockets.delete(socket));
    }
  });
  // On 127.0.0.2, not 127.0.0.1: test servers pick a free port on 127.0.0.1 (freePort) and bind it a moment later,
  // and a proxy given that same port meanwhile would answer their readiness check for them.
  await new Promise<void>((resolve) => server.listen(0, PROXY_HOST, resolve));
  const address = server.address();
  const listening = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://${PROXY_HOST}:${listening}`,
    get cuts() {
      return cuts;
    },
    matched,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
