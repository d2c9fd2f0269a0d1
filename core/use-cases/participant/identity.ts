import { MAILBOX_PROVIDERS, type MailboxProvider } from './mailbox-aliases.ts';

/**
 * One person is one applicant. Providers deliver `alice+anything@x`, and the aliases of their own
 * domains (mailbox-aliases.ts: Gmail's dots, iCloud's three domains, ...), to one inbox, so each alias
 * would otherwise be a new applicant (and a new chance to win). The person is the address with those
 * aliases folded away; mail still goes to the address the person typed.
 */
const BY_DOMAIN = new Map<string, MailboxProvider>(MAILBOX_PROVIDERS.flatMap((p) => p.domains.map((d) => [d, p] as const)));

/**
 * The canonical identity of a normalised (trimmed, lower-cased) email address. It is a person by
 * construction (rules.ts PERSON), not an address: `john.+news@company.com` is `john.@company.com`, which
 * no mail server takes and the Kafka codec must still carry. A fold that would leave nothing before the
 * `@` keeps the address as typed; no fold makes it longer.
 */
export function personOf(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const sub = subdomainAddress(domain);
  if (sub) {
    local = sub.user;
    domain = sub.domain;
  }
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const provider = BY_DOMAIN.get(domain);
  if (provider) {
    local = foldLocal(local, provider);
    domain = provider.person ?? domain;
  }
  return local ? `${local}@${domain}` : email;
}

/** `anything@user.fastmail.com` is `user`'s mailbox at fastmail.com: one label before a subdomain provider's domain. */
function subdomainAddress(domain: string): { user: string; domain: string } | undefined {
  const dot = domain.indexOf('.');
  if (dot <= 0) return undefined;
  const parent = domain.slice(dot + 1);
  return BY_DOMAIN.get(parent)?.subdomains ? { user: domain.slice(0, dot), domain: parent } : undefined;
}

function foldLocal(local: string, provider: MailboxProvider): string {
  switch (provider.local) {
    case 'dots':
      return local.replaceAll('.', '');
    case 'hyphen-is-dot':
      return local.replaceAll('-', '.');
    case 'hyphen-keyword': {
      const hyphen = local.indexOf('-');
      return hyphen > 0 ? local.slice(0, hyphen + 1) : local;
    }
    default:
      return local;
  }
}
