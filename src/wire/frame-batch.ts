// Collects outgoing bytes for one socket write: contiguous frames of the same input chunk are merged
// into one view (no copy), proxy-made frames are appended, and take() yields a single buffer.

export class FrameBatch {
  private parts: Buffer[] = [];
  private runBuf: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;

  /** Adds buf[start..end); merges with the previous frame when it directly follows it. */
  add(buf: Buffer, start: number, end: number): void {
    if (this.runBuf === buf && this.runEnd === start) {
      this.runEnd = end;
      return;
    }
    this.closeRun();
    this.runBuf = buf;
    this.runStart = start;
    this.runEnd = end;
  }

  /** Adds a whole buffer (a frame the proxy made). */
  push(b: Buffer): void {
    this.closeRun();
    this.parts.push(b);
  }

  private closeRun(): void {
    if (this.runBuf) {
      this.parts.push(this.runBuf.subarray(this.runStart, this.runEnd));
      this.runBuf = null;
    }
  }

  /** Everything collected as one buffer (null when empty), and a fresh batch. */
  take(): Buffer | null {
    this.closeRun();
    const parts = this.parts;
    if (parts.length === 0) return null;
    this.parts = [];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
