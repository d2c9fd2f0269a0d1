import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 / RFC 9162 (section 2.1), over SHA-256: leaves hashed with a 0x00 prefix,
 * inner nodes with 0x01, so a leaf can never pass for a node. Append-only: a tree of size n is the tree
 * of the first n leaves, whatever was appended after them, which is what makes a log checkable.
 */
export const HASH_SIZE = 32;

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

export const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two below n (n > 1): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/**
 * Every complete, aligned subtree is kept (levels[h][i] covers leaves i*2^h .. (i+1)*2^h - 1), so a
 * root, an inclusion proof or a consistency proof reads O(log n) stored nodes and hashes only the few
 * on the tree's ragged right edge.
 */
export class MerkleTree {
  private readonly levels: Buffer[][] = [[]];

  constructor(leafHashes: Iterable<Buffer> = []) {
    for (const h of leafHashes) this.append(h);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  append(hash: Buffer): void {
    if (hash.length !== HASH_SIZE) throw new RangeError(`a leaf hash has ${HASH_SIZE} bytes, not ${hash.length}`);
    let level = 0;
    let node = hash;
    for (;;) {
      const row = (this.levels[level] ??= []);
      row.push(node);
      if (row.length % 2 === 1) return;
      node = nodeHash(row[row.length - 2]!, node);
      level++;
    }
  }

  leaf(index: number): Buffer {
    this.check(index, 0, this.size - 1);
    return this.levels[0]![index]!;
  }

  /** MTH(D[0:size]): the root of the tree as it was at `size` leaves. */
  root(size = this.size): Buffer {
    this.check(size, 0, this.size);
    return size === 0 ? EMPTY_ROOT : this.hash(0, size);
  }

  /** PATH(m, D[size]) of RFC 6962 2.1.1: the siblings from the leaf up, nearest first. */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.check(size, 1, this.size);
    this.check(index, 0, size - 1);
    const path: Buffer[] = [];
    const walk = (m: number, start: number, end: number): void => {
      const n = end - start;
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        walk(m, start, start + k);
        path.push(this.hash(start + k, end));
      } else {
        walk(m - k, start + k, end);
        path.push(this.hash(start, start + k));
      }
    };
    walk(index, 0, size);
    return path;
  }

  /** PROOF(m, D[size]) of RFC 6962 2.1.2: that the tree at `from` leaves is a prefix of the tree at `size`. */
  consistencyProof(from: number, size = this.size): Buffer[] {
    this.check(size, 0, this.size);
    this.check(from, 0, size);
    if (from === 0 || from === size) return [];
    const proof: Buffer[] = [];
    const sub = (m: number, start: number, end: number, whole: boolean): void => {
      const n = end - start;
      if (m === n) {
        if (!whole) proof.push(this.hash(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        sub(m, start, start + k, whole);
        proof.push(this.hash(start + k, end));
      } else {
        sub(m - k, start + k, end, false);
        proof.push(this.hash(start, start + k));
      }
    };
    sub(from, 0, size, true);
    return proof;
  }

  /** MTH(D[start:end]): a stored node when the range is one aligned complete subtree, else split as RFC 6962 does. */
  private hash(start: number, end: number): Buffer {
    const n = end - start;
    if (isPowerOfTwo(n) && start % n === 0) return this.levels[Math.log2(n)]![start / n]!;
    const k = splitPoint(n);
    return nodeHash(this.hash(start, start + k), this.hash(start + k, end));
  }

  private check(value: number, min: number, max: number): void {
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`${value} is outside ${min}..${max}`);
  }
}

/** Why a proof did not verify, in words; undefined when it did. */
export type ProofProblem = string | undefined;

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to, checked against `root`. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): ProofProblem {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return `leaf ${index} is not in a tree of ${size}`;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return 'a hash is not 32 bytes';
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) return 'the proof is longer than the tree is high';
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is shorter than the tree is high';
  return Buffer.from(r).equals(Buffer.from(root)) ? undefined : 'the proof does not lead to the root';
}

/** RFC 9162 2.1.4.2: that the tree of `size1` leaves (root1) is a prefix of the tree of `size2` (root2). */
export function verifyConsistency(size1: number, size2: number, proof: Uint8Array[], root1: Uint8Array, root2: Uint8Array): ProofProblem {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1)
    return `${size1} to ${size2} is not a growth`;
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE))
    return 'a hash is not 32 bytes';
  const same = Buffer.from(root1).equals(Buffer.from(root2));
  if (size1 === size2) {
    if (proof.length) return 'a proof between equal sizes is empty';
    return same ? undefined : 'the roots of one size differ';
  }
  if (size1 === 0) return proof.length ? 'a proof from the empty tree is empty' : undefined;
  if (proof.length === 0) return 'the proof is empty';
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return 'the proof is longer than the trees are high';
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is shorter than the trees are high';
  if (!Buffer.from(fr).equals(Buffer.from(root1))) return 'the proof does not lead to the older root';
  if (!Buffer.from(sr).equals(Buffer.from(root2))) return 'the proof does not lead to the newer root';
  return undefined;
}
