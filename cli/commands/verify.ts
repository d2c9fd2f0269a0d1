import { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { folderSource, httpSource, SourceUnavailable } from '../../core/adapters/public-log/sources.ts';
import { verify } from '../../core/use-cases/proof/verify.ts';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import { resolveSettings } from '../settings.ts';
import { eventArgument, withConfigFile } from '../options.ts';
import { UserError, EXIT } from '../errors.ts';

interface VerifyOptions {
  event?: string;
  url?: string;
  log?: string;
  email?: string;
  since?: string;
  config?: string;
  json?: boolean;
}

/** A receipt or a sold-out statement, given as itself or as a file that holds it (the page's "save", an email, a JSON answer). */
function receiptOf(arg: string): string {
  let text = arg;
  if (existsSync(arg) && statSync(arg).isFile()) text = readFileSync(arg, 'utf8');
  const jws = /[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (!jws)
    throw new UserError(
      `${arg === text ? 'the argument' : arg} holds no receipt or statement (a JWS: three base64url parts joined by dots)`,
      EXIT.usage,
    );
  return jws;
}

function readSince(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`--since: ${(e as Error).message}`, EXIT.usage);
  }
}

/** `terning verify`: checks a receipt and the log it is in, or an event's log alone, and says what holds. */
export function verifyCommand(): Command {
  return withConfigFile(new Command('verify'))
    .description(
      "check a winner's receipt, its place in the event's public log, and the whole log; a sold-out statement against the log; or, with --event alone, the log",
    )
    .argument('[receipt]', "a winner's receipt or a SOLD_OUT's statement (details.statement), or a file holding it")
    .option('--event <id>', "the event whose log to check (default: the receipt's)", eventArgument)
    .option('--url <url>', 'the terning server (env TERNING_URL)')
    .option(
      '--log <dir-or-url>',
      'check a copy written by terning log export instead of the server: its folder, or the address it is served at',
    )
    .option('--email <address>', "also check that the receipt is this person's")
    .option('--since <file>', 'a checkpoint kept from before (the file GET .../log/checkpoint gave): the log must extend it')
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      '\nExit: 0 all holds, 1 something does not, 2 usage, 4 the source can not be read.\n\nExamples:\n  terning verify receipt.txt\n  terning verify sold-out-answer.json\n  terning verify eyJhbGciOi... --email me@example.com\n  terning verify --event spring-sale --log ./spring-sale-log\n  terning verify --event spring-sale --since checkpoint-yesterday',
    )
    .action(async (arg: string | undefined, o: VerifyOptions) => {
      if (arg === undefined && o.event === undefined)
        throw new UserError("give a receipt, or --event ID to check an event's log", EXIT.usage);
      const source = o.log ? folderSource(o.log) : httpSource(resolveSettings({ config: o.config, url: o.url }).url);
      let result;
      try {
        result = await verify(source, {
          receipt: arg === undefined ? undefined : receiptOf(arg),
          eventId: o.event,
          person: o.email === undefined ? undefined : personOf(o.email),
          since: o.since === undefined ? undefined : readSince(o.since),
        });
      } catch (e) {
        if (e instanceof SourceUnavailable) throw new UserError(e.message, EXIT.unreachable);
        throw e;
      }
      const holds = result.findings.every((f) => f.holds);
      if (o.json) console.log(JSON.stringify({ event: result.eventId, source: source.where, holds, findings: result.findings }, null, 2));
      else {
        console.log(`checking ${result.eventId ? `event ${result.eventId}` : 'the receipt'} from ${source.where}`);
        for (const f of result.findings) console.log(`${f.holds ? '✓' : '✗'} ${f.says}`);
        console.log(holds ? 'everything checked holds' : 'something does NOT hold (✗ above)');
      }
      if (!holds) process.exitCode = 1;
    });
}
