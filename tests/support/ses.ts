import { readSesEmails, type SesStoredEmail } from '../../infra/index.ts';

/** The emails the SES emulator holds for one address, oldest first. */
export async function emailsTo(address: string): Promise<SesStoredEmail[]> {
  return (await readSesEmails()).filter((e) => e.destination.to.includes(address));
}

/** Waits for the newest verification code sent to an address and returns it. */
export async function readCode(address: string, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const mail = (await emailsTo(address)).filter((e) => /verification code/.test(e.subject)).at(-1);
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
