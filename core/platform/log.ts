import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; emails are masked and tokens and codes never reach a log line. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['code', 'token', 'req.headers.authorization', 'req.headers["x-admin-key"]'], censor: '[redacted]' },
  });
}

export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
