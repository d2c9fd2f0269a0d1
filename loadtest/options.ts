import { parseArgs } from 'node:util';

export interface BenchOptions {
  scenario: 'all' | 'big-drop' | 'crowd' | 'proof' | 'watchers';
  watchers: number;
  via: 'stock-stream' | 'api';
  drop: number;
  winnersBefore: number;
  users: number;
  stock: number;
  herd: number;
  herdNew: number;
  herdNewOpen: number;
  rounds: number;
  connections: number;
  pipelined: boolean;
  sustainSeconds: number;
  sustainConnections: number;
  apis: number;
  consumers: number;
  partitions: number;
  references: boolean;
  profile: boolean;
  apiFlags: string[];
  quick: boolean;
  source: boolean;
  mysqlUrl: string;
  out: string;
}

const HELP = `npm run bench -- [options]

  --scenario NAME        all (the default: every scenario below), big-drop (that one alone,
                         beside the ceiling), crowd (the big burst alone, beside the ceiling: with
                         --users 1000000 --stock 10000 a real giveaway's crowd), or proof (in this process, no services: a receipt per
                         winner, the sold-out answer with and without its signed statement, the
                         stock stream's fan-out per watcher; also printed first by all), or
                         watchers (the stock stream on a real process, --watchers streams open)
  --watchers N           watchers only: stock streams held open, from separate processes of at
                         most 9,000 each (18000; a process has 20,000 open files here)
  --via NAME             watchers only: the process that serves the streams, stock-stream (the
                         default: \`terning stock-stream\`, as nginx routes them in production) or api
  --drop N               applicants of the big drop, for as many units over --connections
                         keep-alive connections, one token each: every apply wins (100000; 0: none)
  --winners-before N     crowd only: the event first takes N winners through the API, all persisted,
                         then the crowd comes for --stock more units (0; e.g. 500000)
  --users N              applicants in the big burst (20000), e.g. 1000000: the crowd of a real
                         giveaway, most of it after the gifts are gone
  --stock N              units of stock in the big burst (1000)
  --herd N               applicants in the original's scenario, one connection each (1500)
  --herd-new N           applicants of the herd on new connections: each opens its own, as browsers
                         do without a proxy, and closes it once answered (20000; 0: none)
  --herd-new-open N      how many of those connections may be open at once (8000): the API and the
                         generator each have 20,000 open files on this machine
  --rounds N             rounds of the herd scenario, alternating terning and the references (3)
  --connections N        connections the big burst opens at once (2000; 10000 sockets alone take a
                         trivial Node server to ~250 MB); each carries its share of the applies one
                         at a time, as a proxy in front of the API does, every latency counted from
                         the moment all pressed apply
  --pipelined            the big burst writes every apply at once, pipelined on its connection: the
                         API then holds the whole burst itself
  --sustain-seconds N    length of the sustained run (5)
  --sustain-connections N  keep-alive connections of the sustained run (256)
  --apis N --consumers N --partitions N   scale-out (1 1 1); the gate keeps arrival order on any of them
  --no-references        skip the trivial-Koa ceiling and the naive MySQL design
  --profile              --cpu-prof the API and consumer processes; the top functions go in the results
  --api-flags "FLAGS"    extra node flags for the API processes, e.g. "--max-old-space-size=192"
  --source               run terning's TypeScript through tsx, not compiled (npm run build) as the
                         image runs it; tsx costs each process ~30 MB
  --quick                a run of under a minute: 2000 users, 1 round, 2 s sustained
  --mysql-url URL        the bench database (mysql://root@127.0.0.1:3306/terning_bench)
  --out DIR              where results go (artifacts/bench)
`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      watchers: { type: 'string' },
      via: { type: 'string' },
      drop: { type: 'string' },
      'winners-before': { type: 'string' },
      users: { type: 'string' },
      stock: { type: 'string' },
      herd: { type: 'string' },
      'herd-new': { type: 'string' },
      'herd-new-open': { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      pipelined: { type: 'boolean' },
      'sustain-seconds': { type: 'string' },
      'sustain-connections': { type: 'string' },
      apis: { type: 'string' },
      consumers: { type: 'string' },
      partitions: { type: 'string' },
      'no-references': { type: 'boolean' },
      profile: { type: 'boolean' },
      quick: { type: 'boolean' },
      source: { type: 'boolean' },
      'api-flags': { type: 'string' },
      'mysql-url': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const int = (v: string | undefined, fallback: number, name: string) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not "${v}"`);
    return n;
  };
  const scenario = values.scenario ?? 'all';
  if (scenario !== 'all' && scenario !== 'big-drop' && scenario !== 'crowd' && scenario !== 'proof' && scenario !== 'watchers')
    throw new Error(`--scenario is all, big-drop, crowd, proof or watchers, not "${scenario}"`);
  if (values.watchers !== undefined && scenario !== 'watchers') throw new Error('--watchers is for --scenario watchers');
  const via = values.via ?? 'stock-stream';
  if (via !== 'stock-stream' && via !== 'api') throw new Error(`--via is stock-stream or api, not "${via}"`);
  if (values.via !== undefined && scenario !== 'watchers') throw new Error('--via is for --scenario watchers');
  const winnersBefore =
    values['winners-before'] === undefined || values['winners-before'] === '0' ? 0 : int(values['winners-before'], 0, 'winners-before');
  if (winnersBefore > 0 && scenario !== 'crowd') throw new Error('--winners-before is for --scenario crowd');
  return {
    scenario,
    winnersBefore,
    watchers: int(values.watchers, 18_000, 'watchers'),
    via,
    drop: values.drop === '0' && scenario === 'all' ? 0 : int(values.drop, quick ? 2_000 : 100_000, 'drop'),
    users: int(values.users, quick ? 2_000 : 20_000, 'users'),
    stock: int(values.stock, quick ? 100 : 1_000, 'stock'),
    herd: int(values.herd, 1_500, 'herd'),
    herdNew: values['herd-new'] === '0' ? 0 : int(values['herd-new'], quick ? 2_000 : 20_000, 'herd-new'),
    herdNewOpen: int(values['herd-new-open'], 8_000, 'herd-new-open'),
    rounds: int(values.rounds, quick ? 1 : 3, 'rounds'),
    connections: int(values.connections, 2_000, 'connections'),
    pipelined: values.pipelined ?? false,
    sustainSeconds: int(values['sustain-seconds'], quick ? 2 : 5, 'sustain-seconds'),
    sustainConnections: int(values['sustain-connections'], 256, 'sustain-connections'),
    apis: int(values.apis, 1, 'apis'),
    consumers: int(values.consumers, 1, 'consumers'),
    partitions: int(values.partitions, 1, 'partitions'),
    references: !values['no-references'],
    profile: values.profile ?? false,
    apiFlags: (values['api-flags'] ?? '').split(/\s+/).filter(Boolean),
    quick,
    source: values.source ?? false,
    mysqlUrl: values['mysql-url'] ?? process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/terning_bench',
    out: values.out ?? 'artifacts/bench',
  };
}
