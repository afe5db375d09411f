// Length-prefixed msgpack frames on the pipe between the host and its sandbox child:
// [u32 big-endian byte length][standard msgpack]. Both ends treat what they read as untrusted:
// a frame over the size cap ends the connection.

import { wirePackr } from './marshal.js';

export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = wirePackr.pack(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly onFrame: (message: unknown) => void,
    private readonly onProtocolError: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return;
      const head = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        this.onProtocolError(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES} byte cap`);
        this.chunks = [];
        this.buffered = 0;
        return;
      }
      if (this.buffered < 4 + length) return;
      const all = this.flatten();
      const body = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      let message: unknown;
      try {
        message = wirePackr.unpack(body);
      } catch (e) {
        this.onProtocolError(`undecodable frame: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      this.onFrame(message);
    }
  }

  private flatten(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}
