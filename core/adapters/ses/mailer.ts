import type { SESv2Client } from '@aws-sdk/client-sesv2';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends through SES v2: the emulator in development and tests, AWS when credentials and a region are
 * set. The AWS SDK is loaded with the first email, not at start-up: an API process that sends no code
 * (or not yet) doesn't carry its ~7 MB.
 */
export class Mailer {
  private client?: Promise<{ client: SESv2Client; SendEmailCommand: typeof import('@aws-sdk/client-sesv2').SendEmailCommand }>;

  constructor(private readonly opts: { endpoint: string | undefined; region: string; from: string }) {}

  private connect() {
    return (this.client ??= import('@aws-sdk/client-sesv2').then(({ SESv2Client, SendEmailCommand }) => ({
      SendEmailCommand,
      client: new SESv2Client({
        region: this.opts.region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      }),
    })));
  }

  async send(mail: Mail): Promise<string | undefined> {
    const { client, SendEmailCommand } = await this.connect();
    const out = await client.send(
      new SendEmailCommand({
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
      }),
    );
    return out.MessageId;
  }

  close(): void {
    void this.client?.then(({ client }) => client.destroy());
  }
}
