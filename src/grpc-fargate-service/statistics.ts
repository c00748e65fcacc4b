// CloudWatch statistics, as CloudWatch names them
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
// SampleCount, Average, Sum, Minimum, Maximum; percentiles pNN (0 to 100); trimmed mean tmNN,
// winsorized mean wmNN, trimmed count tcNN and trimmed sum tsNN, or their range forms TM(a%:b%) /
// TM(a:b); percentile rank PR(a:b); and IQM. aws-cdk-lib also accepts its own short aliases of the
// simple statistics. A statistic outside these is accepted at synth and fails only when CloudWatch
// evaluates the alarm, so it is checked here.

const SIMPLE = new Set(['samplecount', 'n', 'average', 'avg', 'sum', 'minimum', 'min', 'maximum', 'max', 'iqm']);
const NUMBER = '(\\d+(?:\\.\\d+)?)';
/** p99, p99.9, tm90, wm99, tc90, ts90. */
const SINGLE = new RegExp(`^(p|tm|wm|tc|ts)${NUMBER}$`, 'i');
/** TM(10%:90%), WM(:95%), TC(0.5:1.5), PR(:300). */
const RANGE = new RegExp(`^(tm|wm|tc|ts|pr)\\((?:${NUMBER}(%?))?:(?:${NUMBER}(%?))?\\)$`, 'i');

/** Why `statistic` is not a CloudWatch statistic, or undefined when it is one. */
export function statisticProblem(statistic: string): string | undefined {
  if (SIMPLE.has(statistic.toLowerCase())) return undefined;
  const single = SINGLE.exec(statistic);
  if (single) {
    return Number(single[2]) <= 100 ? undefined : `${single[1]}${single[2]} is above 100 (a percentage)`;
  }
  const range = RANGE.exec(statistic);
  if (range) {
    const [, kind, from, fromPercent, to, toPercent] = range;
    if (from === undefined && to === undefined) return 'the range has no bound';
    const isPr = kind.toLowerCase() === 'pr';
    for (const [value, percent] of [[from, fromPercent], [to, toPercent]]) {
      if (value === undefined) continue;
      if (isPr && percent) return 'PR() takes values, not percentages';
      if (percent && Number(value) > 100) return `${value}% is above 100%`;
    }
    if (from !== undefined && to !== undefined && (fromPercent === toPercent) && Number(from) > Number(to)) {
      return `the range starts above its end (${from} > ${to})`;
    }
    return undefined;
  }
  return 'it is not a statistic CloudWatch knows';
}
