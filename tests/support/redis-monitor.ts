import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { until } from './wait.ts';

/**
 * The commands Redis ran that name an event of a prefix (its keys, or its id on the gate channel) while
 * `fn` ran, as MONITOR shows them, read off a plain socket.
 */
export async function eventCommandsDuring(
  redisUrl: string,
  prefix: string,
  eventId: string,
  fn: () => Promise<unknown>,
): Promise<string[]> {
  const { hostname, port } = new URL(redisUrl);
  const socket = connect({ host: hostname, port: Number(port || 6379) });
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.write('MONITOR\r\n');
  await until('MONITOR to start', async () => (text.startsWith('+OK') ? true : undefined), 5_000, 5);
  try {
    await fn();
    await sleep(50);
  } finally {
    socket.destroy();
  }
  return text.split('\r\n').filter((line) => line.includes(`${prefix}:{${eventId}}`) || line.includes(`"${eventId}"`));
}
