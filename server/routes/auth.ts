import type Router from '@koa/router';
import { z } from 'zod';
import { challengeId, emailAddress, verificationCode } from '../../core/domain/rules.ts';
import { parse } from '../middleware/validate.ts';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

const sendCode = z.object({ email: emailAddress }).strict();
// challengeId is optional: the original's clients send {email, code} (docs/security.md).
const verifyCode = z.object({ email: emailAddress, code: verificationCode, challengeId: challengeId.optional() }).strict();

export function authRoutes({ codes, tokens, config }: ServerDeps): Router {
  const r = newRouter('/api/auth');
  r.post('/send-verification-code', async (ctx) => {
    const { email } = parse(sendCode, ctx.state.body);
    const { challengeId, reference } = await codes.send(email, ctx.ip);
    ctx.body = {
      sent: true,
      challengeId,
      reference,
      expiresInSeconds: config.code.ttlSeconds,
      resendAfterSeconds: config.code.resendSeconds,
    };
  });
  r.post('/verify-code', async (ctx) => {
    const { email, code, challengeId } = parse(verifyCode, ctx.state.body);
    await codes.verify(email, code, ctx.ip, challengeId);
    ctx.body = { token: await tokens.issue(email), expiresInSeconds: config.jwt.ttlSeconds };
  });
  return r;
}
