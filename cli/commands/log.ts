import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { newKeysFile, parseProofKeys } from '../../core/adapters/keys/proof-keys.ts';
import { UserError, EXIT } from '../errors.ts';

/** The public logs and their keys. */
export function logCommand(): Command {
  return new Command('log')
    .description('the proofs\' keys and the events\' public logs')
    .addCommand(keygenCommand());
}

function keygenCommand(): Command {
  return new Command('keygen')
    .description('print a new key file (PROOF_KEYS / PROOF_KEYS_FILE): a fresh signing key; with --rotate, the old file\'s keys stay published and its nonce secret is kept')
    .option('--rotate <file>', 'the key file in use now')
    .option('--one-line', 'print it on one line (for PROOF_KEYS in an .env file)')
    .addHelpText('after', '\nExamples:\n  terning log keygen > proof-keys.json && chmod 600 proof-keys.json\n  terning log keygen --rotate proof-keys.json > proof-keys.next.json')
    .action((o: { rotate?: string; oneLine?: boolean }) => {
      let previous: string | undefined;
      if (o.rotate) {
        try {
          previous = readFileSync(o.rotate, 'utf8');
        } catch (e) {
          throw new UserError(`--rotate: ${(e as Error).message}`, EXIT.usage);
        }
        try {
          parseProofKeys(previous, o.rotate);
        } catch (e) {
          throw new UserError((e as Error).message, EXIT.usage);
        }
      }
      const text = newKeysFile(previous);
      process.stdout.write(o.oneLine ? `${JSON.stringify(JSON.parse(text))}\n` : text);
    });
}
