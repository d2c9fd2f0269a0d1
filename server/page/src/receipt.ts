/**
 * "Check it": the winner's receipt checked in the browser with WebCrypto, as docs/verify-receipt.mjs
 * does with node:crypto: the Ed25519 signature against the published keys, the log entry written from
 * the receipt, its RFC 6962 inclusion proof, and the signed checkpoint (a C2SP note) it leads to.
 */
export type ReceiptCheck = { state: 'ok'; index: number; size: number } | { state: 'notYet' } | { state: 'failed'; why: string };

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

/** `base` is the event's API path (/api/event or /api/events/<id>). */
export async function checkReceipt(base: string, receipt: string): Promise<ReceiptCheck> {
  try {
    const [h, c, s] = receipt.split('.');
    const header = JSON.parse(new TextDecoder().decode(b64url(h!))) as { kid?: string; alg?: string };
    const claims = JSON.parse(new TextDecoder().decode(b64url(c!))) as { event: string; ticket: number; at: number; commitment: string };
    const { keys } = (await (await fetch('/.well-known/jwks.json')).json()) as { keys: Jwk[] };
    const key = keys.find((k) => k.kid === header.kid);
    if (!key || header.alg !== 'EdDSA') return { state: 'failed', why: 'key' };
    if (!(await verify(key, b64url(s!), enc.encode(`${h}.${c}`)))) return { state: 'failed', why: 'signature' };
    const res = await fetch(`${base}/log/proof?ticket=${claims.ticket}`, { cache: 'no-store' });
    if (res.status === 404) return { state: 'notYet' };
    const p = (await res.json()) as { index: number; size: number; leaf: string; proof: string[]; checkpoint: string };
    const leaf = `{"v":1,"kind":"won","event":${JSON.stringify(claims.event)},"ticket":${claims.ticket},"at":${claims.at},"commitment":"${claims.commitment}"}`;
    if (p.leaf !== leaf) return { state: 'failed', why: 'entry' };
    const text = p.checkpoint.slice(0, p.checkpoint.indexOf('\n\n') + 1);
    const [, size, root] = text.slice(0, -1).split('\n');
    if (
      Number(size) !== p.size ||
      !(await included(p.index, p.size, await sha256(Uint8Array.of(0), enc.encode(leaf)), p.proof.map(b64), b64(root!)))
    ) {
      return { state: 'failed', why: 'proof' };
    }
    const lines = p.checkpoint
      .slice(text.length + 1)
      .trim()
      .split('\n');
    for (const line of lines) {
      const m = /^— (\S+) (\S+)$/.exec(line);
      if (!m) continue;
      const blob = b64(m[2]!);
      for (const k of keys) {
        const id = (await sha256(enc.encode(m[1]!), Uint8Array.of(0x0a, 0x01), b64url(k.x))).slice(0, 4);
        if (blob.length === 68 && same(blob.slice(0, 4), id) && (await verify(k, blob.slice(4), enc.encode(text))))
          return { state: 'ok', index: p.index + 1, size: p.size };
      }
    }
    return { state: 'failed', why: 'checkpoint' };
  } catch {
    return { state: 'failed', why: 'receipt' };
  }
}
