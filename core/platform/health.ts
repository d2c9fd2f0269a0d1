/** A readiness answer: each dependency checked on its own, with a short timeout, none hiding another. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

export type Check = () => Promise<unknown>;

export async function readiness(checks: Record<string, Check>, timeoutMs = 1_000): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (e) {
        return [name, e instanceof Error ? e.message : String(e)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
}
