/** `.ci/run`'s last line: `node --import tsx scripts/closing-line.ts <npm test's exit code>`. */
import { closingLine, countRun, readRunReport } from './run-report.ts';

console.log(closingLine(countRun(readRunReport()), Number(process.argv[2] ?? 1)));
