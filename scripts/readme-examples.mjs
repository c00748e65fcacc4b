// The README's TypeScript examples, pasted in order into one stack, as the quick start tells a
// new user to do: every `ts` block's imports hoisted and merged, its body in the constructor
// of `ReadmeExamplesStack`. scripts/consumer-check.mjs synthesizes the result in a fresh app.
import { readFileSync } from 'node:fs';

/** TypeScript source of a stack holding every README example (imports merged, bodies in order). */
export function readmeExamplesStack(readmePath) {
  const readme = readFileSync(readmePath, 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error(`${readmePath} has no ts examples`);
  const starImports = new Map(); // module -> local name
  const namedImports = new Map(); // module -> names
  const bodies = [];
  for (const block of blocks) {
    const body = [];
    for (const line of block.split('\n')) {
      const star = line.match(/^import \* as (\w+) from '([^']+)';$/);
      const named = line.match(/^import \{ ([^}]+) \} from '([^']+)';$/);
      if (star) {
        if (starImports.has(star[2]) && starImports.get(star[2]) !== star[1]) {
          throw new Error(`README examples import ${star[2]} as both ${starImports.get(star[2])} and ${star[1]}: one name, please`);
        }
        starImports.set(star[2], star[1]);
      } else if (named) {
        const names = namedImports.get(named[2]) ?? new Set();
        for (const n of named[1].split(',').map((x) => x.trim()).filter(Boolean)) names.add(n);
        namedImports.set(named[2], names);
      } else {
        body.push(line);
      }
    }
    bodies.push(body.join('\n'));
  }
  const core = namedImports.get('aws-cdk-lib') ?? new Set();
  core.add('Stack');
  core.add('StackProps');
  namedImports.set('aws-cdk-lib', core);
  const imports = [
    ...[...starImports].map(([module, name]) => `import * as ${name} from '${module}';`),
    ...[...namedImports].map(([module, names]) => `import { ${[...names].join(', ')} } from '${module}';`),
    "import { Construct } from 'constructs';",
  ];
  const indent = (text) => text.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
  return { count: blocks.length, source: `${imports.join('\n')}

export class ReadmeExamplesStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
${bodies.map((b, i) => `    // ---- README example ${i + 1} ----\n${indent(b)}`).join('\n')}
  }
}
` };
}
