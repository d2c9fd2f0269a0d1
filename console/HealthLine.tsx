import { Box, Text } from 'ink';
import type { Reading } from './model.ts';

export interface ServiceHealth {
  name: string;
  reading: Reading<unknown>;
  detail?: string;
}

/** Each service as ok, DOWN or not yet known; a down one is named with its error below the line. */
export function HealthLine({ services }: { services: ServiceHealth[] }) {
  const down = services.filter((s) => s.reading.error !== null);
  return (
    <Box flexDirection="column">
      <Box gap={3}>
        {services.map((s) => (
          <Text key={s.name}>
            {`${s.name} `}
            {s.reading.error !== null ? (
              <Text color="red" bold>
                DOWN
              </Text>
            ) : s.reading.at === null ? (
              <Text dimColor>…</Text>
            ) : (
              <Text color="green">ok{s.detail ? ` ${s.detail}` : ''}</Text>
            )}
          </Text>
        ))}
      </Box>
      {down.map((s) => (
        <Text key={s.name} color="red" wrap="truncate-end">{`  ${s.name}: ${s.reading.error}`}</Text>
      ))}
    </Box>
  );
}
