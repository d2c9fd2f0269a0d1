/**
 * The aliases mail providers document, one row each: addresses a row folds to the same person reach one
 * mailbox, so they are one applicant. docs/promises.md (One mailbox, one person) shows this table, and
 * tests/identity.test.ts keeps the two alike. `+tag` is dropped at every domain, listed or not.
 *
 * - person: the domain a person of the row is written with, when all its domains are one mailbox; the
 *   row's shortest, so a fold never lengthens an address and a person stays within 254 characters;
 * - local: what else the provider ignores before the `@`: 'dots' (Gmail), 'hyphen-is-dot' (a Yandex
 *   login's `-` and `.` are one), 'hyphen-keyword' (Yahoo's disposable base-keyword addresses fold to
 *   `base-`, never to the account `base`, which may be someone else's);
 * - subdomains: `anything@user.<domain>` is `user+anything@<domain>` (Fastmail's subdomain addressing).
 */
export interface MailboxProvider {
  provider: string;
  domains: readonly string[];
  person?: string;
  local?: 'dots' | 'hyphen-is-dot' | 'hyphen-keyword';
  subdomains?: boolean;
  source: string;
}

export const MAILBOX_PROVIDERS: readonly MailboxProvider[] = [
  {
    provider: 'Gmail',
    domains: ['gmail.com', 'googlemail.com'],
    person: 'gmail.com',
    local: 'dots',
    source: 'https://support.google.com/mail/answer/7436150',
  },
  { provider: 'iCloud', domains: ['icloud.com', 'me.com', 'mac.com'], person: 'me.com', source: 'https://support.apple.com/en-us/118230' },
  {
    provider: 'Proton',
    domains: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'],
    person: 'pm.me',
    source: 'https://proton.me/support/addresses-and-aliases',
  },
  {
    provider: 'Yandex',
    domains: ['yandex.ru', 'yandex.com', 'yandex.by', 'yandex.kz', 'yandex.ua', 'ya.ru'],
    person: 'ya.ru',
    local: 'hyphen-is-dot',
    source: 'https://yandex.com/support/domain/additional/mailbox-alias.xml',
  },
  {
    provider: 'Yahoo',
    domains: ['yahoo.com'],
    local: 'hyphen-keyword',
    source: 'http://help.yahoo.com/help/uk/bt/tutorials/mail/addressguard2.html',
  },
  {
    provider: 'Fastmail',
    domains: ['fastmail.com', 'fastmail.fm'],
    subdomains: true,
    source: 'https://www.fastmail.help/hc/en-us/articles/360060591053',
  },
  {
    provider: 'Outlook',
    domains: ['outlook.com', 'hotmail.com', 'live.com'],
    source: 'https://learn.microsoft.com/exchange/recipients-in-exchange-online/plus-addressing-in-exchange-online',
  },
];
