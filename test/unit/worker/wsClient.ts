// A minimal WebSocket client (RFC 6455) over node:net, for tests that talk to the Python worker: Node 20 has no
// WebSocket without a flag and the repository has no `ws`. Text messages only, no extensions; enough to prove that
// what the worker sends is what a browser's WebSocket would receive.

import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

export interface Closed {
  code: number;
  reason: string;
}

export class WsClient {
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private readonly inbox: string[] = [];
  private waiting: ((message: string | Closed) => void) | null = null;
  private closedWith: Closed | null = null;

  private constructor(private readonly socket: Socket) {}

  /** Opens ws://host:port/path, sending `origin` as a browser would (none when omitted, as a script). */
  static open(url: string, origin?: string): Promise<WsClient> {
    const { hostname, port, pathname } = new URL(url);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const response = head.subarray(0, end).toString('latin1');
        if (!response.startsWith('HTTP/1.1 101') || !response.includes(`Sec-WebSocket-Accept: ${accept}`)) {
          socket.destroy();
          reject(new Error(`handshake refused: ${response.split('\r\n')[0]}`));
          return;
        }
        const client = new WsClient(socket);
        socket.on('data', (data: Buffer) => client.receive(data));
        socket.on('close', () => client.finish({ code: 1006, reason: 'connection lost' }));
        client.receive(head.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onData);
      socket.on('error', reject);
      const lines = [
        `GET ${pathname || '/'} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        ...(origin ? [`Origin: ${origin}`] : []),
      ];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
  }

  send(text: string): void {
    this.frame(TEXT, Buffer.from(text, 'utf8'));
  }

  /** The next text message, or how the socket closed when no message is left. */
  next(): Promise<string | Closed> {
    const ready = this.inbox.shift() ?? this.closedWith;
    if (ready !== null) return Promise.resolve(ready);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Stops reading the socket, as a page too busy to take its messages: what the worker sends waits in the network's
   * buffers, then in the worker's. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.closedWith === null) this.frame(CLOSE, Buffer.from([0x03, 0xe8])); // 1000: normal closure
    this.socket.end();
  }

  // Client frames are masked (RFC 6455 5.3); the server's are not.
  private frame(opcode: number, payload: Buffer): void {
    const n = payload.length;
    const length = n < 126 ? [0x80 | n] : n < 65536 ? [0x80 | 126, n >> 8, n & 255] : null;
    const head = length ? Buffer.from([0x80 | opcode, ...length]) : Buffer.alloc(10);
    if (!length) {
      head[0] = 0x80 | opcode;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    this.socket.write(Buffer.concat([head, mask, masked]));
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0] & 0x80) !== 0;
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      this.handle(fin, opcode, payload);
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === PING) this.frame(PONG, payload);
    else if (opcode === CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.finish({ code, reason: payload.subarray(2).toString('utf8') });
      this.socket.end();
    } else if (opcode === TEXT || opcode === 0) {
      this.fragments.push(Buffer.from(payload));
      if (fin) {
        this.deliver(Buffer.concat(this.fragments).toString('utf8'));
        this.fragments = [];
      }
    }
  }

  private deliver(message: string | Closed): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(message);
    else if (typeof message === 'string') this.inbox.push(message);
  }

  private finish(closed: Closed): void {
    if (this.closedWith !== null) return;
    this.closedWith = closed;
    this.deliver(closed);
  }
}
