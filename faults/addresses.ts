import fc from 'fast-check';
import { emailAddress } from '../core/domain/rules.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';

/** Spellings people really type that sign-in takes: dots before tags, apostrophes, tags alone, dashes and underscores. */
const ODD = [
  'john.+news@company.com',
  "o'+x@example.com",
  "x'+y@gmail.com",
  'm.+x@example.com',
  "o'brien@example.ie",
  'a.b.c@gmail.com',
  'A.B.C+tag@GoogleMail.com',
  '_@example.com',
  '-x-@example.org',
  'x+@example.com',
  "'@example.com",
  'first.last+a.b@sub.example.co',
  'U.S.E.R@Example.COM',
  '+@example.com',
  'a..b+x@example.com',
];

const word = fc.stringMatching(/^[A-Za-z0-9_'-]{1,8}$/);
const tag = fc.stringMatching(/^[A-Za-z0-9_'+.-]{0,8}$/);
const domain = fc.oneof(
  fc.constantFrom('gmail.com', 'googlemail.com', 'GMAIL.com', 'example.com', 'company.com', 'sub.example.co'),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,6}\.[A-Za-z]{2,4}$/),
);

/** A local part built of words joined by dots, maybe with a +tag (itself any signs, dots and pluses). */
const local = fc
  .tuple(fc.array(word, { minLength: 1, maxLength: 3 }), fc.option(tag, { nil: undefined }), fc.boolean())
  .map(([words, tag, dotBeforeTag]) => `${words.join('.')}${tag === undefined ? '' : `${dotBeforeTag ? '.' : ''}+${tag}`}`);

/** How a person types it: any case, spaces or tabs around. */
const typed = (address: string) =>
  fc
    .tuple(fc.constantFrom('', ' ', '  ', '\t', ' \n'), fc.constantFrom('', ' ', '\t', '\r\n'), fc.boolean(), fc.boolean())
    .map(
      ([before, after, upper, title]) =>
        `${before}${upper ? address.toUpperCase() : title ? address[0]!.toUpperCase() + address.slice(1) : address}${after}`,
    );

/**
 * Everything sign-in accepts (core/domain/rules.ts emailAddress, which the token's subject is):
 * odd spellings, built ones, and ones drawn from the rule's own pattern, each as a person may type it.
 * Filtered through the rule itself, so nothing here is refused at the door.
 */
export const acceptedAddress: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 1, arbitrary: fc.constantFrom(...ODD) },
    { weight: 6, arbitrary: fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`) },
    {
      weight: 2,
      arbitrary: fc.stringMatching(
        /^(?:[A-Za-z0-9_'+-]{1,6}\.){0,2}[A-Za-z0-9_'+-]{0,6}[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]{0,5}\.){1,2}[A-Za-z]{2,4}$/,
      ),
    },
  )
  .chain(typed)
  .filter((a) => emailAddress.safeParse(a).success);

export interface Applicant {
  /** As typed. */
  typed: string;
  /** As sign-in normalises it: the token's subject. */
  email: string;
  /** The one applicant this mailbox is (core/use-cases/participant/identity.ts). */
  person: string;
}

/**
 * `n` applicants drawn from the seed: each address random, and about one in twelve an alias (another
 * spelling, a +tag) of someone already drawn, who must get that person's answer.
 */
export function drawApplicants(n: number, seed: number): Applicant[] {
  const [typedList] = fc.sample(fc.noBias(fc.array(acceptedAddress, { minLength: n, maxLength: n })), { seed, numRuns: 1 });
  const [aliasAt] = fc.sample(fc.noBias(fc.array(fc.nat(99), { minLength: n, maxLength: n })), { seed: seed + 1, numRuns: 1 });
  const out: Applicant[] = [];
  for (let i = 0; i < n; i++) {
    let t = typedList![i]!;
    const pick = aliasAt![i]!;
    if (i > 0 && pick < 8) {
      const of = out[(pick * 7_919 + i) % out.length]!.email;
      const at = of.lastIndexOf('@');
      const alias = `${of.slice(0, at)}+alias${i}${of.slice(at)}`.toUpperCase();
      if (emailAddress.safeParse(alias).success) t = alias;
    }
    const email = emailAddress.parse(t);
    out.push({ typed: t, email, person: personOf(email) });
  }
  return out;
}
