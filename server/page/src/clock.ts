/**
 * The server's clock, not the phone's: each answer's serverTime, taken at the middle of its round
 * trip and carried forward on the monotonic clock, so a phone set five minutes fast still opens on time.
 */
export class ServerClock {
  private offset: number | null = null;
  private bestRtt = Infinity;

  /** Records a serverTime read between two performance.now() marks. */
  observe(serverTime: string, sentAt: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt;
    const server = Date.parse(serverTime);
    if (Number.isNaN(server) || (this.offset !== null && rtt > this.bestRtt * 2 + 50)) return;
    this.bestRtt = Math.min(this.bestRtt, rtt);
    this.offset = server - (sentAt + rtt / 2);
  }

  now(): number {
    return this.offset === null ? Date.now() : this.offset + performance.now();
  }
}

/** 2일 03:04:05, 03:04:05 or 04:05. */
export function countdown(ms: number, dayWord: string): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = h > 0 || d > 0 ? `${pad(h)}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
  return d > 0 ? `${d}${dayWord} ${clock}` : clock;
}
