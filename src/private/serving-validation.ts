import { Duration } from 'aws-cdk-lib';
import { PropsValidator } from './validation';

/** The props every request-serving service (gRPC, edge) shares and checks the same way. */
export interface ServingProps {
  readonly port?: number;
  readonly targetCpuUtilization?: number;
  readonly targetRequestsPerTask?: number;
  readonly latencyThreshold?: Duration;
}

/** Port, scaling targets and latency threshold, with examples fitting the service (`defaults`). */
export function checkServingProps(v: PropsValidator, props: ServingProps, defaults: { port: number; latencyThreshold: Duration }): void {
  v.integerInRange('port', props.port, 1, 65535, `give the port the app listens on, e.g. ${defaults.port}`);
  v.integerInRange('targetCpuUtilization', props.targetCpuUtilization, 1, 100, 'give a CPU percentage to hold, e.g. 60');
  v.positive('targetRequestsPerTask', props.targetRequestsPerTask, 'give the requests per task per minute to hold, e.g. 500');
  if (props.latencyThreshold && !props.latencyThreshold.isUnresolved()) {
    v.check(props.latencyThreshold.toMilliseconds() > 0,
      `latencyThreshold (${props.latencyThreshold.toHumanString()}) must be greater than 0: give the tail latency you consider slow, ` +
      `e.g. Duration.millis(${defaults.latencyThreshold.toMilliseconds()})`);
  }
}
