import { Text } from 'ink';

/** The keys, or the question that waits for y/n before an open or a close. */
export function KeyBar({ asking, eventLabel }: { asking: 'open' | 'close' | null; eventLabel: string }) {
  if (asking) {
    return <Text color="yellow" bold>{`${asking === 'open' ? 'Open' : 'Close'} ${eventLabel} now? [y] yes  [n] no`}</Text>;
  }
  // A string, not JSX text, so that no formatter folds its spaces.
  return <Text dimColor>{'[o] open   [c] close   [q] quit'}</Text>;
}
