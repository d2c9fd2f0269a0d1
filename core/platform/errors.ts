import { ErrorCode } from '../domain/errors.ts';

/**
 * The one error shape of terning: every expected failure is an AppError with an HTTP status and a
 * stable code; the server renders it as {error: {code, message, details?}}. Anything else is a bug.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details);
export const unauthorized = (code: string, message: string) => new AppError(401, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
export const tooMany = (code: string, message: string, retryAfterSeconds: number) =>
  new AppError(429, code, message, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
export const unavailable = (code: string, message: string, retryAfterSeconds = 1) =>
  new AppError(503, code, message, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** An event nobody may see: none by that id, or a draft (hidden from participants as if it did not exist). */
export const eventNotFound = (eventId: string) => notFound(ErrorCode.EVENT_NOT_FOUND, `there is no event "${eventId}"`);

/** Whether an error says the event does not exist: such an error is final, not worth a retry. */
export const isEventNotFound = (e: unknown): boolean => e instanceof AppError && e.code === ErrorCode.EVENT_NOT_FOUND;
