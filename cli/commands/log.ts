import { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPORT_FILES, httpSource, SourceUnavailable } from '../../core/adapters/public-log/sources.ts';
import { checkLog } from '../../core/use-cases/proof/check-log.ts';
import { resolveSettings } from '../settings.ts';
import { eventArgument, withConfigFile } from '../options.ts';
import { newKeysFile, parseProofKeys, preparedKeysFile } from '../../core/adapters/keys/proof-keys.ts';
import { UserError, EXIT } from '../errors.ts';

/** The public logs and their keys. */
export function logCommand(): Command {
  return new Command('log')
    .description("the proofs' keys and the events' public logs")
    .addCommand(keygenCommand())
    .addCommand(exportCommand());
}

/**
 * The log as static files a CDN can serve, and `terning verify --log DIR` reads: the keys, the
 * checkpoint, every entry, and each decision's inclusion proof, made here from the entries after
 * they were checked against the signed checkpoint.
 */
function exportCommand(): Command {
  return withConfigFile(new Command('export'))
    .description("write an event's public log as static files: jwks.json, checkpoint, entries.json, proofs/<ticket>.json")
    .requiredOption('--event <id>', 'the event', eventArgument)
    .requiredOption('--out <dir>', 'the folder to write (made if missing; its parent must exist)')
    .option('--url <url>', 'the terning server (env TERNING_URL)')
    .addHelpText(
      'after',
      '\nExamples:\n  terning log export --event spring-sale --out ./spring-sale-log\n  terning verify --event spring-sale --log ./spring-sale-log',
    )
    .action(async (o: { event: string; out: string; url?: string; config?: string }) => {
      const source = httpSource(resolveSettings({ config: o.config, url: o.url }).url);
      let jwks, checkpoint, entries;
      try {
        [jwks, checkpoint] = await Promise.all([source.jwks(), source.checkpoint(o.event)]);
        entries = await source.entries(o.event);
      } catch (e) {
        if (e instanceof SourceUnavailable) throw new UserError(e.message, EXIT.unreachable);
        throw e;
      }
      const keys = (jwks.keys ?? []).filter((k) => typeof k.x === 'string').map((k) => ({ raw: Buffer.from(k.x!, 'base64url') }));
      const report = checkLog(o.event, undefined, { checkpoint, entries, keys });
      if (!report.tree)
        throw new UserError(
          `the server's log does not check, nothing written: ${report.findings
            .filter((f) => !f.holds)
            .map((f) => f.says)
            .join('; ')}`,
          EXIT.rejected,
        );
      const size = report.tree.size;
      try {
        mkdirSync(join(o.out, EXPORT_FILES.proofs), { recursive: true });
        writeFileSync(join(o.out, EXPORT_FILES.jwks), `${JSON.stringify(jwks, null, 2)}\n`);
        writeFileSync(join(o.out, EXPORT_FILES.checkpoint), checkpoint);
        writeFileSync(join(o.out, EXPORT_FILES.entries), `${JSON.stringify({ event: o.event, size, entries })}\n`);
        let proofs = 0;
        report.entries!.forEach((e, index) => {
          if (e.kind !== 'won' && e.kind !== 'released') return;
          const proof = report.tree!.inclusionProof(index, size).map((p) => p.toString('base64'));
          writeFileSync(
            join(o.out, EXPORT_FILES.proofs, `${e.ticket}.json`),
            `${JSON.stringify({ ticket: e.ticket, index, size, leaf: entries[index], proof, checkpoint })}\n`,
          );
          proofs++;
        });
        console.log(`wrote ${size} entries and ${proofs} inclusion proofs of ${o.event} to ${o.out}`);
      } catch (e) {
        throw new UserError(`the export could not be written to ${o.out}: ${(e as Error).message}`, EXIT.failed);
      }
    });
}

function keygenCommand(): Command {
  return new Command('keygen')
    .description(
      'print a new key file (PROOF_KEYS / PROOF_KEYS_FILE): a fresh signing key; --prepare adds the next key to the file in use, published before it signs; --rotate makes that next key (or a fresh one) sign, the old keys stay published and the nonce secret is kept',
    )
    .option('--prepare <file>', 'the key file in use now: print it with a next key, published from now on, that --rotate will sign with')
    .option('--rotate <file>', 'the key file in use now (prepared or not)')
    .option('--one-line', 'print it on one line (for PROOF_KEYS in an .env file)')
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  terning log keygen > proof-keys.json && chmod 600 proof-keys.json',
        '  terning log keygen --prepare proof-keys.json > proof-keys.prepared.json   # roll out, wait 5 minutes (the key list is cached)',
        '  terning log keygen --rotate proof-keys.prepared.json > proof-keys.next.json # roll out',
      ].join('\n'),
    )
    .action((o: { prepare?: string; rotate?: string; oneLine?: boolean }) => {
      if (o.prepare && o.rotate) throw new UserError('--prepare and --rotate are two steps: give one of them', EXIT.usage);
      const flag = o.prepare ? '--prepare' : '--rotate';
      const file = o.prepare ?? o.rotate;
      let previous: string | undefined;
      if (file) {
        try {
          previous = readFileSync(file, 'utf8');
        } catch (e) {
          throw new UserError(`${flag}: ${(e as Error).message}`, EXIT.usage);
        }
        try {
          parseProofKeys(previous, file);
        } catch (e) {
          throw new UserError((e as Error).message, EXIT.usage);
        }
        if (o.prepare && (JSON.parse(previous) as { next?: unknown }).next !== undefined)
          throw new UserError(`--prepare: ${file} has a next key already: roll it out, then --rotate`, EXIT.usage);
        if (o.rotate && (JSON.parse(previous) as { next?: unknown }).next === undefined)
          process.stderr.write(
            'note: no next key was prepared: checkers that cached the key list (up to 5 minutes) will not know the new key until they read it again; terning log keygen --prepare first avoids that\n',
          );
      }
      const text = o.prepare ? preparedKeysFile(previous!) : newKeysFile(previous);
      process.stdout.write(o.oneLine ? `${JSON.stringify(JSON.parse(text))}\n` : text);
    });
}
