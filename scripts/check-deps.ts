/** `npm run lint`'s second step: package.json declares exactly what the code uses (scripts/deps.ts). */
import { ROOT } from '../core/platform/root.ts';
import { dependencyProblems, readRepo } from './deps.ts';

const repo = readRepo(ROOT);
const problems = dependencyProblems(repo);
if (problems.length) {
  console.error(`package.json and the imports disagree:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const { dependencies = {}, devDependencies = {} } = repo.pkg;
console.log(
  `dependencies: ${Object.keys(dependencies).length} for the image and ${Object.keys(devDependencies).length} for development, each used where it is declared`,
);
