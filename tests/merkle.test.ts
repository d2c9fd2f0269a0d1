import test from 'ava';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  leafHash,
  MerkleTree,
  nodeHash,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from '../core/use-cases/proof/merkle.ts';

// RFC 6962's test data, as transparency-dev/merkle (testonly/constants.go, proof/verify_test.go) and
// Certificate Transparency's own tests use it: eight leaves, the root of every prefix, and proofs.
const hex = (h: string) => Buffer.from(h, 'hex');
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);
// [leaf index (0-based), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
// [size1, size2, proof]
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

const tree = new MerkleTree(LEAVES.map(leafHash));

// The definitions of RFC 6962 2.1, word for word and slow: what the tree must agree with.
const mth = (d: Buffer[]): Buffer => {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return leafHash(d[0]!);
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
};
const path = (m: number, d: Buffer[]): Buffer[] => {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
};
const subproof = (m: number, d: Buffer[], b: boolean): Buffer[] => {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  const k = splitPoint(n);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
};

test('the roots of every prefix of the RFC 6962 test data', (t) => {
  for (let n = 0; n <= LEAVES.length; n++) t.is(tree.root(n).toString('hex'), ROOTS[n]!.toString('hex'), `size ${n}`);
});

test('inclusion proofs of the test data: made as published, verified, and refused once changed anywhere', (t) => {
  for (const [index, size, want] of INCLUSION) {
    const proof = tree.inclusionProof(index, size);
    t.deepEqual(
      proof.map((p) => p.toString('hex')),
      want,
      `${index} in ${size}`,
    );
    const leaf = leafHash(LEAVES[index]!);
    t.is(verifyInclusion(index, size, leaf, proof, ROOTS[size]!), undefined);
    t.truthy(verifyInclusion(index + 1, size, leaf, proof, ROOTS[size]!));
    t.truthy(verifyInclusion(index, size * 2, leaf, proof, ROOTS[size]!));
    t.truthy(verifyInclusion(index, size, leafHash(Buffer.from('wrong')), proof, ROOTS[size]!));
    t.truthy(verifyInclusion(index, size, leaf, proof, ROOTS[0]!));
    t.truthy(verifyInclusion(index, size, leaf, [...proof, ROOTS[size]!], ROOTS[size]!));
    t.truthy(verifyInclusion(index, size, leaf, [ROOTS[size]!, ...proof], ROOTS[size]!));
    for (let i = 0; i < proof.length; i++) {
      const bent = proof.map((p) => Buffer.from(p));
      bent[i]![0]! ^= 8;
      t.truthy(verifyInclusion(index, size, leaf, bent, ROOTS[size]!), `bit flipped in proof[${i}]`);
    }
    if (proof.length) t.truthy(verifyInclusion(index, size, leaf, proof.slice(0, -1), ROOTS[size]!));
  }
  t.truthy(verifyInclusion(0, 0, leafHash(LEAVES[0]!), [], EMPTY_ROOT));
  t.truthy(verifyInclusion(-1, 8, leafHash(LEAVES[0]!), [], ROOTS[8]!));
});

test('consistency proofs of the test data: made as published, verified, and refused once changed anywhere', (t) => {
  for (const [size1, size2, want] of CONSISTENCY) {
    const proof = tree.consistencyProof(size1, size2);
    t.deepEqual(
      proof.map((p) => p.toString('hex')),
      want,
      `${size1} to ${size2}`,
    );
    const [r1, r2] = [ROOTS[size1]!, ROOTS[size2]!];
    t.is(verifyConsistency(size1, size2, proof, r1, r2), undefined);
    if (proof.length === 0) continue;
    t.truthy(verifyConsistency(size1 - 1, size2, proof, r1, r2));
    t.truthy(verifyConsistency(size1 + 1, size2, proof, r1, r2));
    t.truthy(verifyConsistency(size1, size2 * 2, proof, r1, r2));
    t.truthy(verifyConsistency(size1, size2, proof, r2, r1));
    t.truthy(verifyConsistency(size1, size2, [], r1, r2));
    t.truthy(verifyConsistency(size1, size2, [...proof, r1], r1, r2));
    t.truthy(verifyConsistency(size1, size2, [proof[0]!, ...proof], r1, r2));
    t.truthy(verifyConsistency(size1, size2, proof.slice(0, -1), r1, r2));
    for (let i = 0; i < proof.length; i++) {
      const bent = proof.map((p) => Buffer.from(p));
      bent[i]![0]! ^= 16;
      t.truthy(verifyConsistency(size1, size2, bent, r1, r2), `bit flipped in proof[${i}]`);
    }
  }
  t.is(verifyConsistency(0, 5, [], EMPTY_ROOT, ROOTS[5]!), undefined);
  t.truthy(verifyConsistency(5, 4, [], ROOTS[5]!, ROOTS[4]!));
});

test('a leaf hash is 32 bytes; sizes and indexes outside the tree are refused', (t) => {
  t.throws(() => new MerkleTree([Buffer.alloc(31)]), { instanceOf: RangeError });
  t.throws(() => tree.root(9), { instanceOf: RangeError });
  t.throws(() => tree.inclusionProof(8, 8), { instanceOf: RangeError });
  t.throws(() => tree.inclusionProof(0, 0), { instanceOf: RangeError });
  t.throws(() => tree.consistencyProof(5, 4), { instanceOf: RangeError });
  t.throws(() => tree.leaf(1.5), { instanceOf: RangeError });
});

const leaves = fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 80 }).map((a) => a.map((x) => Buffer.from(x)));

test("property: roots and inclusion proofs agree with RFC 6962's definitions, for every size and leaf", (t) => {
  fc.assert(
    fc.property(leaves, fc.nat(), fc.nat(), (d, a, b) => {
      const built = new MerkleTree(d.map(leafHash));
      const size = 1 + (a % d.length);
      const m = b % size;
      const want = path(m, d.slice(0, size));
      const got = built.inclusionProof(m, size);
      return (
        built.root(size).equals(mth(d.slice(0, size))) &&
        got.length === want.length &&
        got.every((g, i) => g.equals(want[i]!)) &&
        verifyInclusion(m, size, leafHash(d[m]!), got, mth(d.slice(0, size))) === undefined
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("property: consistency proofs agree with RFC 6962's definitions and verify between any two sizes", (t) => {
  fc.assert(
    fc.property(leaves, fc.nat(), fc.nat(), (d, a, b) => {
      const built = new MerkleTree(d.map(leafHash));
      const size2 = 1 + (a % d.length);
      const size1 = 1 + (b % size2);
      const want = size1 === size2 ? [] : subproof(size1, d.slice(0, size2), true);
      const got = built.consistencyProof(size1, size2);
      return (
        got.length === want.length &&
        got.every((g, i) => g.equals(want[i]!)) &&
        verifyConsistency(size1, size2, got, mth(d.slice(0, size1)), mth(d.slice(0, size2))) === undefined
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: a proof for one tree does not verify against a tree with any leaf changed', (t) => {
  fc.assert(
    fc.property(
      leaves.filter((d) => d.length > 1),
      fc.nat(),
      fc.nat(),
      (d, a, b) => {
        const m = a % d.length;
        const changed = d.map((x, i) => (i === b % d.length ? Buffer.concat([x, Buffer.of(1)]) : x));
        const proof = new MerkleTree(d.map(leafHash)).inclusionProof(m);
        return verifyInclusion(m, d.length, leafHash(d[m]!), proof, mth(changed)) !== undefined;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
