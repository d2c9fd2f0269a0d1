import { useApp } from 'ink';
import { Console } from './Console.tsx';
import { useConsole, type ConsoleSource } from './use-console.ts';

/** `terning watch`: the console fed by its loader. */
export function WatchApp({ source }: { source: ConsoleSource }) {
  const data = useConsole(source);
  const { exit } = useApp();
  return <Console data={data} onOpen={() => void source.open()} onClose={() => void source.close()} onQuit={() => exit()} />;
}
