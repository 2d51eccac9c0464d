import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { headers: IncomingHttpHeaders; body: string; at: number };

export type Receiver = {
  url: string;
  received: Received[];
  /** The status the next requests are answered with, in turn; then the usual one. */
  answerWith(...statuses: number[]): void;
  /** The usual answer from now on (200 to begin with). */
  answerAlways(status: number): void;
  /** Requests whose body is the event `eventId`. */
  of(eventId: string): Received[];
  close(): Promise<void>;
};

/** A partner's webhook endpoint on loopback: it keeps every request it gets. */
export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  const statuses: number[] = [];
  let usual = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(statuses.shift() ?? usual).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    answerWith: (...s) => {
      statuses.push(...s);
    },
    answerAlways: (status) => {
      usual = status;
    },
    of: (eventId) => received.filter((r) => (JSON.parse(r.body) as { id: string }).id === eventId),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
