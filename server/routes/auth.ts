import type Router from '@koa/router';
import { z } from 'zod';
import { emailAddress, verificationCode } from '../../core/use-cases/rules.ts';
import { parse } from '../middleware/validate.ts';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

const sendCode = z.object({ email: emailAddress }).strict();
const verifyCode = z.object({ email: emailAddress, code: verificationCode }).strict();

export function authRoutes({ codes, tokens, config }: ServerDeps): Router {
  const r = newRouter('/api/auth');
  r.post('/send-verification-code', async (ctx) => {
    const { email } = parse(sendCode, ctx.state.body);
    await codes.send(email, ctx.ip);
    ctx.body = { sent: true, expiresInSeconds: config.code.ttlSeconds, resendAfterSeconds: config.code.resendSeconds };
  });
  r.post('/verify-code', async (ctx) => {
    const { email, code } = parse(verifyCode, ctx.state.body);
    await codes.verify(email, code, ctx.ip);
    ctx.body = { token: await tokens.issue(email), expiresInSeconds: config.jwt.ttlSeconds };
  });
  return r;
}
