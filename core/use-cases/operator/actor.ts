/**
 * Who made a change: the X-ADMIN-ACTOR header, a short name (the CLI sends the OS user name unless
 * told otherwise). Anything that could smuggle a line break or markup into the audit trail is refused.
 */
export const ACTOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
/** ACTOR_PATTERN in words, for the errors that refuse a name. */
export const ACTOR_RULE = 'letters, digits and . _ @ + -, at most 64 characters';

/** What a change is recorded under when the caller named no one (an older client, a script). */
export const UNNAMED_ACTOR = 'unnamed';

export function isValidActor(name: string): boolean {
  return ACTOR_PATTERN.test(name);
}
