import { Text } from 'ink';
import { num, sparkline } from './model.ts';

/** A rate per second as a sparkline of its recent samples, with the latest value. */
export function RateLine({ samples, width = 30 }: { samples: number[]; width?: number }) {
  const latest = samples.at(-1) ?? 0;
  return (
    <Text>
      <Text color="cyan">{sparkline(samples, width)}</Text>
      {`  ${num(latest)}/s`}
    </Text>
  );
}
