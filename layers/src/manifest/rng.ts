import { createHash } from 'node:crypto';

/**
 * Deterministic random source for manifest generation: a SHA-256 counter-mode stream keyed by the compose seed.
 * Same seed → same UUIDs and volume ids → byte-identical manifests (the seed is stored with the compose).
 */
export class SeededRandom {
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private counter = 0;

  constructor(private readonly seed: string) {}

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      if (this.offset >= this.buffer.length) {
        this.buffer = createHash('sha256').update(`${this.seed}\0${this.counter++}`).digest();
        this.offset = 0;
      }
      out[i] = this.buffer[this.offset++];
    }
    return out;
  }

  /** RFC 4122 version-4 UUID, lower case. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** FAT volume id ("serial number") in the XXXX-XXXX form osbuild/images uses. */
  volumeId(): string {
    const h = this.bytes(4).toString('hex').toUpperCase();
    return `${h.slice(0, 4)}-${h.slice(4)}`;
  }
}
