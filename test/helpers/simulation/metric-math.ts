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
  return (lookup) => evaluate(ast, lookup);
}

function evaluate(node: Node, lookup: Lookup): Value {
  switch (node.kind) {
    case 'num': return node.value;
    case 'id': return lookup(node.name);
    case 'neg': {
      const v = evaluate(node.arg, lookup);
      return v === undefined ? undefined : -v;
    }
    case 'call': return call(node.fn, node.args.map((a) => evaluate(a, lookup)));
    case 'bin': {
      const l = evaluate(node.left, lookup);
      const r = evaluate(node.right, lookup);
      if (l === undefined && r === undefined) return undefined;
      return binaryOp(node.op, l ?? 0, r ?? 0);
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

function call(fn: string, args: Value[]): Value {
  switch (fn) {
    case 'FILL': return args[0] ?? args[1];
    case 'IF': {
      if (args[0] === undefined) return undefined;
      return args[0] !== 0 ? args[1] : args[2];
    }
    case 'MAX': return args.every((a) => a === undefined) ? undefined : Math.max(...args.map((a) => a ?? 0));
    case 'MIN': return args.every((a) => a === undefined) ? undefined : Math.min(...args.map((a) => a ?? 0));
  }
  throw new Error(`metric math: function ${fn} is not modelled`);
}
