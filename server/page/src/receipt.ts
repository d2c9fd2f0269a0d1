/**
 * The proofs checked in the browser with WebCrypto, as docs/verify-receipt.mjs does with node:crypto.
 * "Check it": a winner's receipt (its Ed25519 signature against the published keys, the log entry
 * written from it, its RFC 6962 inclusion proof, and the signed checkpoint, a C2SP note of the
 * receipt's event, it leads to). And the checkpoint the page shows: signed by a published key.
 */
export type ReceiptCheck =
  { state: 'ok'; ticket: number; index: number; size: number } | { state: 'notYet' } | { state: 'failed'; why: string };

/** The event's checkpoint as the page shows it: holds, when a published key signed it for this event. */
export type CheckpointCheck = { holds: true; size: number; root: string } | { holds: false };

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  kid?: string;
}

type Bytes = Uint8Array<ArrayBuffer>;
const enc = new TextEncoder();
const b64url = (s: string) =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const concat = (...parts: Bytes[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const sha256 = async (...parts: Bytes[]) => new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
const same = (a: Bytes, b: Bytes) => a.length === b.length && a.every((x, i) => x === b[i]);
const keyOf = (k: Jwk) => crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: k.x }, { name: 'Ed25519' }, false, ['verify']);
const verify = async (k: Jwk, sig: Bytes, data: Bytes) => crypto.subtle.verify({ name: 'Ed25519' }, await keyOf(k), sig, data);

async function included(index: number, size: number, leaf: Bytes, proof: Bytes[], root: Bytes): Promise<boolean> {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, root);
}

const jwks = async () => ((await (await fetch('/.well-known/jwks.json')).json()) as { keys: Jwk[] }).keys;

/**
 * A checkpoint (c2sp.org/tlog-checkpoint) whose signature line is by one of `keys`: its origin, size
 * and root, and the signer's name (the origin must be `<name>/events/<event>`); else undefined.
 */
async function openCheckpoint(
  note: string,
  keys: Jwk[],
): Promise<{ name: string; origin: string; size: number; root: string } | undefined> {
  const split = note.indexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const [origin, size, root, ...more] = text.slice(0, -1).split('\n');
  if (!origin || !/^\d+$/.test(size ?? '') || !/^[A-Za-z0-9+/]{43}=$/.test(root ?? '') || more.length) return undefined;
  for (const line of note
    .slice(split + 2)
    .trim()
    .split('\n')) {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) continue;
    const blob = b64(m[2]!);
    for (const k of keys) {
      const id = (await sha256(enc.encode(m[1]!), Uint8Array.of(0x0a, 0x01), b64url(k.x))).slice(0, 4);
      if (blob.length === 68 && same(blob.slice(0, 4), id) && (await verify(k, blob.slice(4), enc.encode(text))))
        return { name: m[1]!, origin, size: Number(size), root: root! };
    }
  }
  return undefined;
}

/** A receipt, checked against the log of the event it names. */
export async function checkReceipt(receipt: string): Promise<ReceiptCheck> {
  try {
    const [h, c, s, ...more] = receipt.split('.');
    if (more.length) return { state: 'failed', why: 'receipt' };
    const header = JSON.parse(new TextDecoder().decode(b64url(h!))) as { kid?: string; alg?: string; typ?: string };
    const claims = JSON.parse(new TextDecoder().decode(b64url(c!))) as { event: string; ticket: number; at: number; commitment: string };
    const keys = await jwks();
    const key = keys.find((k) => k.kid === header.kid);
    if (!key || header.alg !== 'EdDSA' || header.typ !== 'terning-receipt+jws') return { state: 'failed', why: 'key' };
    if (!(await verify(key, b64url(s!), enc.encode(`${h}.${c}`)))) return { state: 'failed', why: 'signature' };
    const base = `/api/events/${encodeURIComponent(claims.event)}`;
    const res = await fetch(`${base}/log/proof?ticket=${encodeURIComponent(claims.ticket)}`, { cache: 'no-store' });
    if (res.status === 404) return { state: 'notYet' };
    const p = (await res.json()) as { index: number; size: number; leaf: string; proof: string[]; checkpoint: string };
    const leaf = `{"v":1,"kind":"won","event":${JSON.stringify(claims.event)},"ticket":${claims.ticket},"at":${claims.at},"commitment":"${claims.commitment}"}`;
    if (p.leaf !== leaf) return { state: 'failed', why: 'entry' };
    const checkpoint = await openCheckpoint(p.checkpoint, keys);
    if (!checkpoint || checkpoint.origin !== `${checkpoint.name}/events/${claims.event}`) return { state: 'failed', why: 'checkpoint' };
    if (
      checkpoint.size !== p.size ||
      !(await included(p.index, p.size, await sha256(Uint8Array.of(0), enc.encode(leaf)), p.proof.map(b64), b64(checkpoint.root)))
    ) {
      return { state: 'failed', why: 'proof' };
    }
    return { state: 'ok', ticket: claims.ticket, index: p.index + 1, size: p.size };
  } catch {
    return { state: 'failed', why: 'receipt' };
  }
}

/**
 * The event's checkpoint, as the page shows it: said to hold only when its signature is by a key of
 * /.well-known/jwks.json and it is a checkpoint of this event (`eventId`; the default event's page
 * takes the one its log names). null when there is none to show (no log yet, or not reachable).
 */
export async function checkCheckpoint(note: string | null, eventId: string | null): Promise<CheckpointCheck | null> {
  if (note === null) return null;
  try {
    const opened = await openCheckpoint(note, await jwks());
    const of = opened?.origin.slice(`${opened.name}/events/`.length);
    if (!opened || !opened.origin.startsWith(`${opened.name}/events/`) || (eventId !== null && of !== eventId)) return { holds: false };
    return { holds: true, size: opened.size, root: opened.root };
  } catch {
    return null;
  }
}
