import { createServer } from 'node:http';
import Koa from 'koa';
import { createPool } from 'mysql2/promise';
import { Tokens } from '../../core/use-cases/sign-in/tokens.ts';
import { loadConfig } from '../../core/platform/config.ts';

/**
 * The design a user might pick instead: one synchronous MySQL transaction per apply (take a unit with
 * UPDATE ... WHERE remaining > 0, then INSERT the application), answered when it commits. Tokens are
 * checked with terning's own code, so the difference is the design and not the auth.
 */
const config = loadConfig();
const tokens = new Tokens(config.jwt);
const pool = createPool({ uri: config.mysqlUrl, connectionLimit: Number(process.env.NAIVE_POOL ?? 20) });
const APPLY = /^\/api\/events\/([a-z0-9-]+)\/apply$/;

const app = new Koa();
app.use(async (ctx) => {
  const m = APPLY.exec(ctx.path);
  if (ctx.method !== 'POST' || !m) {
    ctx.body = { ok: true };
    return;
  }
  let email: string;
  try {
    email = tokens.verify(ctx.get('authorization').replace(/^Bearer /, ''));
  } catch {
    ctx.status = 401;
    return;
  }
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [taken] = await conn.query('UPDATE naive_stock SET remaining = remaining - 1 WHERE event_id = ? AND remaining > 0', [m[1]]);
    if ((taken as { affectedRows: number }).affectedRows === 0) {
      await conn.rollback();
      ctx.status = 409;
      ctx.body = { error: { code: 'SOLD_OUT' } };
      return;
    }
    await conn.query("INSERT INTO naive_applications (event_id, email, status) VALUES (?, ?, 'WON')", [m[1], email]);
    await conn.commit();
    ctx.status = 200;
    ctx.body = { status: 'WON' };
  } catch (e) {
    await conn.rollback().catch(() => {});
    ctx.status = (e as { code?: string }).code === 'ER_DUP_ENTRY' ? 409 : 500;
  } finally {
    conn.release();
  }
});
const handle = app.callback();
const http = createServer((req, res) => void handle(req, res));
http.keepAliveTimeout = 5_000;
// The same accept backlog as terning's API (server/process.ts), so a burst meets the same kernel.
http.listen(Number(process.env.PORT), '127.0.0.1', Number(process.env.LISTEN_BACKLOG ?? 8_192));
