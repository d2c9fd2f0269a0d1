/**
 * One person is one applicant. Mail providers deliver `alice+anything@x` and, at Gmail,
 * `a.lice@googlemail.com` to the same inbox as `alice@x` / `alice@gmail.com`, so each alias would
 * otherwise be a new applicant (and a new chance to win). The person is the address with those
 * aliases folded away; mail still goes to the address the person typed.
 */
const GMAIL = new Set(['gmail.com', 'googlemail.com']);

/**
 * The canonical identity of a normalised (trimmed, lower-cased) email address. It is a person by
 * construction (rules.ts PERSON), not an address: `john.+news@company.com` is `john.@company.com`, which
 * no mail server takes and the Kafka codec must still carry. A fold that would leave nothing before the
 * `@` keeps the address as typed.
 */
export function personOf(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return local ? `${local}@${domain}` : email;
}
