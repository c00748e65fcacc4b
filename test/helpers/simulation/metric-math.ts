/**
 * A small evaluator for the CloudWatch metric-math expressions scaling alarms use:
 * numbers, metric ids, + - * /, comparisons, AND / OR, IF(c, a, b), FILL(m, v), MIN/MAX.
 *
 * Semantics (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
 * "Missing values in a time series are treated as 0. If the value of a data point causes
 * a function to attempt to divide by zero, the data point is dropped." A timestamp where
 * every input is missing has no datapoint at all; FILL gives every timestamp a value.
 */
export type Value = number | undefined;
export type Lookup = (id: string) => Value;

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'bin'; op: string; left: Node; right: Node }
  | { kind: 'neg'; arg: Node };

const TOKEN = /\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|[-+*/(),<>])/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(expression);
    if (!m) throw new Error(`metric math: cannot read "${expression.slice(TOKEN.lastIndex)}" in "${expression}"`);
    tokens.push(m[1]);
  }
  return tokens;
}

/** Parse once, evaluate per timestamp. */
export function compile(expression: string): (lookup: Lookup) => Value {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (expected?: string) => {
    const t = tokens[pos++];
    if (expected !== undefined && t !== expected) throw new Error(`metric math: expected ${expected}, got ${t} in "${expression}"`);
    return t;
  };
  const binary = (next: () => Node, ops: string[]) => (): Node => {
    let left = next();
    while (ops.includes(peek()?.toUpperCase())) {
      const op = take().toUpperCase();
      left = { kind: 'bin', op, left, right: next() };
    }
    return left;
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === '-') return { kind: 'neg', arg: primary() };
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') take(',');
      }
      take(')');
      return { kind: 'call', fn: t.toUpperCase(), args };
    }
    return { kind: 'id', name: t };
  };
  const mul = binary(primary, ['*', '/']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['==', '!=', '<', '>', '<=', '>=']);
  const and = binary(cmp, ['AND']);
  const or = binary(and, ['OR']);
  const ast = or();
  if (pos !== tokens.length) throw new Error(`metric math: unexpected "${tokens[pos]}" in "${expression}"`);
  return closureOf(ast);
}

type Fn = (lookup: Lookup) => Value;

/** The expression as nested closures, built once: evaluating it allocates nothing (alarms evaluate it every minute of a sweep). */
function closureOf(node: Node): Fn {
  switch (node.kind) {
    case 'num': {
      const value = node.value;
      return () => value;
    }
    case 'id': {
      const name = node.name;
      return (lookup) => lookup(name);
    }
    case 'neg': {
      const arg = closureOf(node.arg);
      return (lookup) => {
        const v = arg(lookup);
        return v === undefined ? undefined : -v;
      };
    }
    case 'call': return callOf(node.fn, node.args.map(closureOf));
    case 'bin': {
      const left = closureOf(node.left);
      const right = closureOf(node.right);
      const op = node.op;
      return (lookup) => {
        const l = left(lookup);
        const r = right(lookup);
        if (l === undefined && r === undefined) return undefined;
        return binaryOp(op, l ?? 0, r ?? 0);
      };
    }
  }
}

function binaryOp(op: string, l: number, r: number): Value {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return r === 0 ? undefined : l / r;
    case '==': return Number(l === r);
    case '!=': return Number(l !== r);
    case '<': return Number(l < r);
    case '>': return Number(l > r);
    case '<=': return Number(l <= r);
    case '>=': return Number(l >= r);
    case 'AND': return Number(l !== 0 && r !== 0);
    case 'OR': return Number(l !== 0 || r !== 0);
  }
  throw new Error(`metric math: operator ${op} is not modelled`);
}

function callOf(fn: string, args: Fn[]): Fn {
  switch (fn) {
    case 'FILL': {
      const [m, fill] = args;
      return (lookup) => m(lookup) ?? fill(lookup);
    }
    case 'IF': {
      const [condition, then, otherwise] = args;
      return (lookup) => {
        const c = condition(lookup);
        if (c === undefined) return undefined;
        return c !== 0 ? then(lookup) : otherwise(lookup);
      };
    }
    case 'MAX':
    case 'MIN': {
      const pick = fn === 'MAX' ? Math.max : Math.min;
      return (lookup) => {
        let out: Value;
        let any = false;
        for (const a of args) {
          const v = a(lookup);
          if (v !== undefined) any = true;
          out = out === undefined ? (v ?? 0) : pick(out, v ?? 0);
        }
        return any ? out : undefined;
      };
    }
  }
  throw new Error(`metric math: function ${fn} is not modelled`);
}
