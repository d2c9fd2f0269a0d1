import type { ReactNode } from 'react';
import { Box, Text } from 'ink';

export const LABEL_WIDTH = 14;

/** One labelled line of the console. */
export function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Box width={LABEL_WIDTH} flexShrink={0}>
        <Text bold>{label}</Text>
      </Box>
      <Box flexGrow={1}>{children}</Box>
    </Box>
  );
}

/** "(as of 12:03:04)" after a value whose source stopped answering. */
export function Stale({ at, error }: { at: number | null; error: string | null }) {
  if (!error || at === null) return null;
  return <Text color="yellow"> (as of {new Date(at).toTimeString().slice(0, 8)})</Text>;
}
