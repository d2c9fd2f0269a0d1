import type { EventSnapshot } from '../core/domain/event.ts';

export function printEvent(e: EventSnapshot, json?: boolean): void {
  if (json) {
    console.log(JSON.stringify(e, null, 2));
    return;
  }
  const lines = [
    `event      ${e.id} (${e.name})`,
    `state      ${e.state}${e.opensAt ? `, opens ${e.opensAt}` : ''}${e.closesAt ? `, closes ${e.closesAt}` : ''}`,
    `stock      ${e.remainingStock} of ${e.totalStock} left`,
    `applied    ${e.applied}   won ${e.won}   pending ${e.pending}`,
  ];
  console.log(lines.join('\n'));
}
