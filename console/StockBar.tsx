import { Text } from 'ink';
import { bar, num } from './model.ts';

/** The remaining stock of the total, as a bar: full when nothing is given away yet. */
export function StockBar({ remaining, total, width = 30 }: { remaining: number; total: number; width?: number }) {
  const share = total > 0 ? remaining / total : 0;
  const color = total === 0 || remaining === 0 ? 'red' : share < 0.2 ? 'yellow' : 'green';
  return (
    <Text>
      <Text color={color}>{bar(share, width)}</Text>
      {`  ${num(remaining)} of ${num(total)} left${total > 0 && remaining === 0 ? ' · SOLD OUT' : ''}`}
    </Text>
  );
}
