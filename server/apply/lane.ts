import type { IncomingHttpHeaders } from 'node:http';
import { EVENT_ID } from '../../core/domain/rules.ts';

/** The apply paths, as spelled, with an event id as the rule has it: a path that matches is canonical by construction. */
export const APPLY_PATH = new RegExp(`^/api/(?:event|events/(${EVENT_ID.source.replace(/^\^|\$$/g, '')}))/apply$`);

/**
 * An apply that needs nothing of Koa's chain: no body, no Origin (so no CORS). Only such an apply is
 * answered ahead of the chain (steps 1, 3 and 4 of the path: path.ts); any other goes the long way.
 */
export const fitsTheLane = (h: IncomingHttpHeaders): boolean =>
  h.origin === undefined && h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0');
