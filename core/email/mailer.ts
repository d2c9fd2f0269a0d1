import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';

export interface Mail { to: string; subject: string; text: string; html?: string }

/** Sends through SES v2: the emulator in development and tests, AWS when credentials and a region are set. */
export class Mailer {
  private readonly client: SESv2Client;

  constructor(private readonly opts: { endpoint: string | undefined; region: string; from: string }) {
    this.client = new SESv2Client({
      region: opts.region,
      ...(opts.endpoint
        ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  }

  async send(mail: Mail): Promise<string | undefined> {
    const out = await this.client.send(new SendEmailCommand({
      FromEmailAddress: this.opts.from,
      Destination: { ToAddresses: [mail.to] },
      Content: {
        Simple: {
          Subject: { Data: mail.subject, Charset: 'UTF-8' },
          Body: {
            Text: { Data: mail.text, Charset: 'UTF-8' },
            ...(mail.html ? { Html: { Data: mail.html, Charset: 'UTF-8' } } : {}),
          },
        },
      },
    }));
    return out.MessageId;
  }

  close(): void {
    this.client.destroy();
  }
}
