import { readSesEmails, type SesStoredEmail } from '../../infra/index.ts';

/**
 * How far back a test looks for its emails: the emulator keeps every email of every run on this
 * machine (thousands, megabytes), and a test reads only those of its last minutes.
 */
const RECENT_SECONDS = 15 * 60;

/** The emails the SES emulator holds for one address, from the last minutes, oldest first. */
export async function emailsTo(address: string): Promise<SesStoredEmail[]> {
  return (await readSesEmails(Date.now() / 1000 - RECENT_SECONDS)).filter((e) => e.destination.to.includes(address));
}

/** Waits for the newest verification code sent to an address and returns it. */
export async function readCode(address: string, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    // A read the emulator answers too slowly (a loaded machine) is tried again, until the deadline.
    const mail = (await emailsTo(address).catch(() => [])).filter((e) => /verification code/.test(e.subject)).at(-1);
    const code = mail?.body.text?.match(/code is (\d{6})/)?.[1];
    if (code) return code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no verification code reached ${address}`);
}

export async function waitForEmail(address: string, subject: RegExp, timeoutMs = 30_000): Promise<SesStoredEmail> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const mail = (await emailsTo(address)).find((e) => subject.test(e.subject));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no email matching ${subject} reached ${address}`);
}
