/**
 * Test-only, off by default: with TERNING_FAULT_POINT set to one of these names, the process says so
 * on stderr when it reaches that point and waits there (TERNING_FAULT_PAUSE_MS, 60 s) so the fault
 * suite (faults/) can kill it exactly there. Unset, this is one string comparison.
 */
export type FaultPoint = 'after-gate' | 'after-settle' | 'after-write' | 'after-revoke';

export async function faultPoint(name: FaultPoint): Promise<void> {
  if (process.env.TERNING_FAULT_POINT !== name) return;
  process.stderr.write(`terning-fault-point ${name} pid=${process.pid}\n`);
  await new Promise((r) => setTimeout(r, Number(process.env.TERNING_FAULT_PAUSE_MS ?? 60_000)));
}
