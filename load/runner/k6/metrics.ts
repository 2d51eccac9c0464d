/** k6/metrics: custom metrics, recorded with the current iteration's tags. */

import type { MetricType } from '../metrics.ts';
import { iterationTags, metrics } from '../run-state.ts';

class CustomMetric {
  readonly name: string;

  constructor(name: string, type: MetricType, isTime = false) {
    this.name = name;
    metrics.define(name, type, isTime ? 'time' : 'default');
  }

  add(value: number | boolean, tags: Record<string, string> = {}): void {
    metrics.add(this.name, Number(value), { ...iterationTags(), ...tags });
  }
}

export class Counter extends CustomMetric {
  constructor(name: string) {
    super(name, 'counter');
  }
}

export class Gauge extends CustomMetric {
  constructor(name: string) {
    super(name, 'gauge');
  }
}

export class Rate extends CustomMetric {
  constructor(name: string) {
    super(name, 'rate');
  }
}

export class Trend extends CustomMetric {
  constructor(name: string, isTime = false) {
    super(name, 'trend', isTime);
  }
}

export default { Counter, Gauge, Rate, Trend };
