import { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { clock, num, stateLine, type ConsoleData } from './model.ts';
import { Row, Stale } from './Row.tsx';
import { StockBar } from './StockBar.tsx';
import { RateLine } from './RateLine.tsx';
import { HealthLine } from './HealthLine.tsx';
import { KeyBar } from './KeyBar.tsx';

export interface ConsoleProps {
  data: ConsoleData;
  onOpen: () => void;
  onClose: () => void;
  onQuit: () => void;
}

const WIDTH = 80;
const rule = '─'.repeat(WIDTH);

/** The live console of one event: what it shows comes in `data`; what the operator does goes out through the callbacks. */
export function Console({ data, onOpen, onClose, onQuit }: ConsoleProps) {
  const [asking, setAskingState] = useState<'open' | 'close' | null>(null);
  // Keys typed faster than a render (a paste, tmux send-keys) must see the question already asked.
  const askingNow = useRef(asking);
  const setAsking = (q: 'open' | 'close' | null) => {
    askingNow.current = q;
    setAskingState(q);
  };
  useInput((input, key) => {
    const question = askingNow.current;
    if (question) {
      if (input === 'y' || input === 'Y') {
        setAsking(null);
        (question === 'open' ? onOpen : onClose)();
      } else if (input === 'n' || input === 'N' || key.escape) {
        setAsking(null);
      }
      return;
    }
    if (input === 'q') onQuit();
    else if (input === 'o') setAsking('open');
    else if (input === 'c') setAsking('close');
  });

  const { event: ev, kafka, mysql, redis } = data;
  const outbox = mysql.value?.outbox;
  // Counted from the topic's offsets, not read letter by letter (`terning dlq list` does that, and tells which can be replayed).
  const notReplayed = kafka.value && mysql.value ? Math.max(0, kafka.value.deadLetters - mysql.value.replayedDeadLetters) : null;
  const e = ev.value;
  const eventLabel = e?.id ?? data.eventId ?? 'the default event';
  const lag = kafka.value?.lag ?? [];
  return (
    <Box flexDirection="column" width={WIDTH}>
      <Box justifyContent="space-between">
        <Text bold>{`terning watch  ${eventLabel}${e ? ` · ${e.name}` : ''}`}</Text>
        <Text>{clock(data.now)}</Text>
      </Box>
      <Text dimColor>{rule}</Text>
      {e === null ? (
        <Row label="Event">
          <Text color={ev.error ? 'red' : undefined}>{ev.error ?? 'waiting for the API…'}</Text>
        </Row>
      ) : (
        <>
          <Row label="State">
            <Text bold color={e.state === 'open' ? 'green' : e.state === 'closed' ? 'red' : 'yellow'}>
              {stateLine(e, data.now)}
            </Text>
            <Stale {...ev} />
          </Row>
          <Row label="Stock">
            <StockBar remaining={e.remainingStock} total={e.totalStock} />
          </Row>
          <Row label="Applied">
            <Text>
              {`${num(e.applied)}   won ${num(e.won)}   `}
              <Text bold>{`PENDING ${num(e.pending)}`}</Text>
            </Text>
          </Row>
        </>
      )}
      <Row label="Apply/s">
        <RateLine samples={data.rates.applications} />
      </Row>
      <Row label="Decide/s">
        <RateLine samples={data.rates.decisions} />
      </Row>
      <Row label="Consumer lag">
        <Text>
          {kafka.value === null
            ? '-'
            : lag.length === 0
              ? 'no partitions'
              : `${lag.map((p) => `p${p.partition} ${num(p.lag)}`).join('   ')}   (total ${num(lag.reduce((n, p) => n + p.lag, 0))})`}
        </Text>
        <Stale {...kafka} />
      </Row>
      <Row label="Dead letters">
        <Text color={notReplayed ? 'red' : undefined}>
          {kafka.value === null
            ? '-'
            : `${num(kafka.value.deadLetters)}${mysql.value ? `   replayed ${num(mysql.value.replayedDeadLetters)}   not replayed ${num(notReplayed!)}` : ''}`}
        </Text>
        <Stale {...kafka} />
      </Row>
      <Row label="Emails">
        <Text>{outbox === undefined ? '-' : `sent ${num(outbox.sent)}   queued ${num(outbox.queued)}   failed ${num(outbox.failed)}`}</Text>
        <Stale {...mysql} />
      </Row>
      <Row label="Health">
        <HealthLine
          services={[
            { name: 'API', reading: data.api, detail: data.api.value ? `${data.api.value.latencyMs} ms` : undefined },
            { name: 'Redis', reading: redis, detail: redis.value ? `${redis.value.pingMs} ms` : undefined },
            { name: 'MySQL', reading: mysql },
            { name: 'Kafka', reading: kafka },
          ]}
        />
      </Row>
      <Text dimColor>{rule}</Text>
      {data.notice && <Text color={data.notice.ok ? 'green' : 'red'}>{data.notice.text}</Text>}
      <KeyBar asking={asking} eventLabel={eventLabel} />
    </Box>
  );
}
