import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { listenHost } from './net.ts';
import { runDir, terningHome } from './paths.ts';
import { runLogged, spawnDetached } from './process.ts';
import { redact, type Service } from './service.ts';
import { requireTools } from './tools.ts';

const url = () => new URL(process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/terning');

function connection() {
  const u = url();
  return {
    host: listenHost(u.hostname),
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    connectTimeout: 2000,
  };
}

/** The database MYSQL_URL names; tests use the same name with `_test` appended. */
export const databaseNames = () => {
  const db = decodeURIComponent(url().pathname.slice(1)) || 'terning';
  return [db, `${db}_test`];
};

// mariadbd refuses to run as root unless told to; as anyone else it must not be told.
const asRoot = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

export const mysqlService: Service = {
  name: 'mysql',
  marker: 'mariadbd',
  tools: [
    { bin: 'mariadbd', pkg: 'mariadb-server' },
    { bin: 'mariadb-install-db', pkg: 'mariadb-server' },
  ],
  startTimeoutMs: 60_000,
  stopTimeoutMs: 30_000,
  address: () => redact(url()),
  endpoint: () => ({ host: url().hostname, port: Number(url().port || 3306) }),

  async ping() {
    const conn = await mysql.createConnection(connection());
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end();
    }
  },

  async start(log) {
    const tools = await requireTools('mysql', this.tools, log);
    const datadir = join(terningHome(), 'mysql');
    mkdirSync(runDir(), { recursive: true });
    // --no-defaults everywhere: the system's my.cnf points at the system server's socket and datadir.
    if (!existsSync(join(datadir, 'mysql'))) {
      log(`mysql: initialising a data directory in ${datadir}`);
      mkdirSync(datadir, { recursive: true });
      // 'normal' gives root an empty password usable over TCP, as MYSQL_URL's default expects.
      const install = () =>
        runLogged('mysql', tools['mariadb-install-db'], [
          '--no-defaults',
          `--datadir=${datadir}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...asRoot(),
        ]);
      // Once in a CI run on a loaded machine the bootstrap failed, its cause lost with its directory:
      // a half-made data directory is no use, so it goes and the bootstrap runs once more.
      await install().catch(async (err: Error) => {
        log(`mysql: initialising failed, trying once more on an empty directory:\n${err.message}`);
        rmSync(datadir, { recursive: true, force: true });
        mkdirSync(datadir, { recursive: true });
        await install();
      });
    }
    const { host, port } = this.endpoint();
    await spawnDetached('mysql', tools.mariadbd, [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--port=${port}`,
      `--bind-address=${listenHost(host)}`,
      `--socket=${join(runDir(), 'mysql.sock')}`,
      ...asRoot(),
    ]);
  },

  async ready(log) {
    const conn = await mysql.createConnection(connection());
    try {
      for (const db of databaseNames()) {
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${db.replaceAll('`', '``')}\` CHARACTER SET utf8mb4`);
      }
      log(`mysql: databases ${databaseNames().join(', ')} exist`);
    } finally {
      await conn.end();
    }
  },
};
