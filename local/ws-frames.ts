/**
 * A reader of WebSocket frame headers on the raw client-to-server byte stream.
 *
 * `ws` hands us whole messages and hides frames, but API Gateway limits both: a data frame may carry at most
 * 32 KB and a message (its frames reassembled) at most 128 KB, and a client that breaks either is closed
 * with 1009. Browsers and `ws` send each message as one frame, so in AWS a 40 KB chat message is refused
 * even though it is under 128 KB; a local gateway that only checked the message size would accept it.
 * `ws`'s `maxPayload` enforces the message limit; this reader enforces the frame limit by looking at each
 * frame's header as the bytes go by (payloads are skipped, not copied).
 */

/** What the reader reports about each frame header it completes. */
export interface FrameHeader {
  readonly opcode: number;
  readonly payloadLength: number;
}

const DATA_OPCODES = new Set([0x0, 0x1, 0x2]);

/** Whether a frame carries message data (continuation, text, binary) rather than control (close, ping, pong). */
export function isDataFrame(opcode: number): boolean {
  return DATA_OPCODES.has(opcode);
}

/**
 * Returns a `data` listener for the socket that calls `onFrame` for every frame header. Install it with
 * `socket.prependListener('data', …)` so it sees each chunk before `ws` parses it: a too-large frame is then
 * caught before `ws` can emit its message.
 */
export function frameHeaderReader(onFrame: (frame: FrameHeader) => void): (chunk: Buffer) => void {
  let header: number[] = [];
  let skip = 0;
  return (chunk) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      header.push(chunk[i]!);
      i += 1;
      if (header.length < 2) continue;
      const len7 = header[1]! & 0x7f;
      const masked = (header[1]! & 0x80) !== 0;
      const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      if (header.length < 2 + extended + (masked ? 4 : 0)) continue;
      let payloadLength = len7;
      if (extended > 0) {
        payloadLength = 0;
        // 8-byte lengths above 2^53 are protocol errors that `ws` rejects itself; precision does not matter.
        for (let b = 0; b < extended; b++) payloadLength = payloadLength * 256 + header[2 + b]!;
      }
      const opcode = header[0]! & 0x0f;
      header = [];
      skip = payloadLength;
      onFrame({ opcode, payloadLength });
    }
  };
}
