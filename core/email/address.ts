import { z } from 'zod';

/** Emails are trimmed and lower-cased everywhere: one person, one address, one application. */
export const emailAddress = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.string().email());

export const normaliseEmail = (raw: string) => raw.trim().toLowerCase();
