import { useEffect, useState } from 'react';
import type { ConsoleData } from './model.ts';

/** What the console hook needs from its loader: the data as it changes, and the two changes. */
export interface ConsoleSource {
  current(): ConsoleData;
  subscribe(listener: (d: ConsoleData) => void): () => void;
  open(): Promise<void>;
  close(): Promise<void>;
}

/** The one hook of the console: follows the loader's data; the loader does all the I/O. */
export function useConsole(source: ConsoleSource): ConsoleData {
  const [data, setData] = useState(source.current());
  useEffect(() => source.subscribe(setData), [source]);
  return data;
}
