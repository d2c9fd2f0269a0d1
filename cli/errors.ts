/** Two kinds of failure: the user can fix it (a clear message, exit code) or it is a bug. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export const EXIT = { usage: 2, rejected: 3, unreachable: 4, failed: 5 } as const;
