/**
 * MurmurHash3, 32 bits, over the string's UTF-16 units two at a time. FNV-1a took addresses that
 * differ only in a number for one another twenty times as often as chance would (544 strangers of
 * 1,000,000 against 100,000 winners, where 23 are expected); this, as chance does.
 */
function hashOf(s: string): number {
  let h = 0x9747b28c;
  let i = 0;
  for (; i + 1 < s.length; i += 2) h = mixBlock(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < s.length) h ^= mixed(s.charCodeAt(i));
  h ^= s.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mixed(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

function mixBlock(h: number, k: number): number {
  h ^= mixed(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * An event's winners as 4 bytes each, sorted: whether someone may be among them. Never wrong about a
 * winner; a stranger whose hash is a winner's (about 1 in 8,600 with 500,000 winners) is a "maybe"
 * too, for the gate to settle. The winners' addresses themselves took about 130 bytes each.
 */
export class WinnerFilter {
  private hashes = new Uint32Array(1_024);
  private size = 0;
  private sorted = true;

  add(person: string): void {
    if (this.size === this.hashes.length) {
      const bigger = new Uint32Array(this.hashes.length * 2);
      bigger.set(this.hashes);
      this.hashes = bigger;
    }
    this.hashes[this.size++] = hashOf(person);
    this.sorted = false;
  }

  mayHold(person: string): boolean {
    if (!this.sorted) {
      this.hashes = this.hashes.slice(0, this.size).sort();
      this.sorted = true;
    }
    const h = hashOf(person);
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.hashes[mid]!;
      if (at === h) return true;
      if (at < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
