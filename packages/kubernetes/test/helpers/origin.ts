// A real HTTP origin on 127.0.0.1 (ephemeral port) that serves files like dl.k8s.io / GitHub
// release downloads (ETag, Range, If-Range) and injects faults per path. The code under test only
// sees URLs.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'cut'; after: number } // send headers for the full body, then `after` bytes, then reset
  | { kind: 'stall-headers' } // never answer
  | { kind: 'stall-body'; after: number } // send headers and `after` bytes, then go silent
  | { kind: 'redirect'; to: string; status?: number }
  | { kind: 'ignore-range' }; // answer 200 with the whole body even if a Range was asked

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export class Origin {
  readonly files = new Map<string, { body: Buffer; etag: string; headers: Record<string, string> }>();
  readonly faults = new Map<string, Fault[]>();
  readonly persistentFaults = new Map<string, Fault>();
  readonly handlers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  readonly log: LoggedRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = '';

  static async start(): Promise<Origin> {
    const o = new Origin();
    o.server = createServer((req, res) => o.handle(req, res));
    o.server.on('connection', (s) => {
      o.sockets.add(s);
      s.on('close', () => o.sockets.delete(s));
    });
    await new Promise<void>((resolve) => o.server.listen(0, '127.0.0.1', resolve));
    o.url = `http://127.0.0.1:${(o.server.address() as AddressInfo).port}`;
    return o;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Serve `body` at `path` (with a strong ETag derived from the content). */
  file(path: string, body: Buffer | string, headers: Record<string, string> = {}): void {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    this.files.set(path, { body: b, etag: `"${createHash('sha1').update(b).digest('hex')}"`, headers });
  }

  /** Queue faults for the next requests of `path` (one per request). */
  fault(path: string, ...faults: Fault[]): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
  }

  /** A fault for every request of `path`. */
  always(path: string, fault: Fault): void {
    this.persistentFaults.set(path, fault);
  }

  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.handlers.set(path, handler);
  }

  hits(path: string): LoggedRequest[] {
    return this.log.filter((r) => r.path.split('?')[0] === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const full = req.url ?? '/';
    const path = full.split('?')[0] as string;
    this.log.push({ method: req.method ?? 'GET', path: full, headers: req.headers });
    const queued = this.faults.get(path);
    const fault = queued !== undefined && queued.length > 0 ? queued.shift() : this.persistentFaults.get(path);
    const handler = this.handlers.get(path);
    if (fault === undefined && handler !== undefined) return handler(req, res);
    const file = this.files.get(path);
    if (fault !== undefined) {
      switch (fault.kind) {
        case 'status':
          res.writeHead(fault.status, fault.headers ?? {});
          res.end(fault.body ?? `status ${fault.status}`);
          return;
        case 'redirect':
          res.writeHead(fault.status ?? 302, { location: fault.to });
          res.end();
          return;
        case 'stall-headers':
          return;
        case 'cut':
        case 'stall-body': {
          if (file === undefined) throw new Error(`no file at ${path}`);
          res.writeHead(200, { 'content-length': String(file.body.length), etag: file.etag, 'accept-ranges': 'bytes' });
          res.write(file.body.subarray(0, fault.after), () => {
            if (fault.kind === 'cut') req.socket.end(); // FIN mid-body: the client keeps what it received
          });
          return;
        }
        case 'ignore-range':
          if (file === undefined) throw new Error(`no file at ${path}`);
          res.writeHead(200, { 'content-length': String(file.body.length), etag: file.etag });
          res.end(file.body);
          return;
      }
    }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range !== null && (ifRange === undefined || ifRange === file.etag)) {
      const start = Number(range[1]);
      if (start >= file.body.length) {
        res.writeHead(416, { 'content-range': `bytes */${file.body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        ...file.headers,
        'content-length': String(file.body.length - start),
        'content-range': `bytes ${start}-${file.body.length - 1}/${file.body.length}`,
        etag: file.etag,
      });
      res.end(file.body.subarray(start));
      return;
    }
    res.writeHead(200, { ...file.headers, 'content-length': String(file.body.length), etag: file.etag, 'accept-ranges': 'bytes' });
    res.end(file.body);
  }
}
