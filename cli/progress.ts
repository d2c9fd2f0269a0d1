/** A one-line progress bar on a terminal, redrawn at most every 100 ms; nothing when not a terminal. */
export function progressBar(stream: NodeJS.WriteStream, label: string): { update(done: number, total: number): void; end(): void } {
  if (!stream.isTTY) return { update() {}, end() {} };
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const width = 30;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const full = Math.round(share * width);
    stream.write(
      `\r${label} [${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done}/${total}`,
    );
    drawn = true;
  };
  let latest: [number, number] = [0, 0];
  return {
    update(done, total) {
      latest = [done, total];
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done, total);
    },
    end() {
      if (drawn || latest[1] > 0) draw(...latest);
      stream.write('\n');
    },
  };
}
