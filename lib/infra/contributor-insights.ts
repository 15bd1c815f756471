import { type Duration, Stack } from 'aws-cdk-lib';
import { CfnInsightRule, ConcreteWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import { CONSUME_TALLY, CONSUME_TALLY_KIND } from '#observability/metrics.ts';

/** Who a top list ranks: gateway instances (project and instance), or credentials (and their app key). */
export type ContributorKind = 'instances' | 'credentials';

/** Which calls a top list sums: admitted (200) or refused (429). */
export type ContributorCalls = 'admitted' | 'refused';

/** Every rule the stack creates, in the order the dashboard shows them. */
export const CONTRIBUTOR_RULES: readonly (readonly [ContributorKind, ContributorCalls])[] = [
  ['instances', 'admitted'],
  ['instances', 'refused'],
  ['credentials', 'admitted'],
  ['credentials', 'refused'],
];

/** How many contributors a dashboard graph shows. */
export const TOP_CONTRIBUTORS = 10;

const field = (name: string) => `$.${name}`;

/**
 * The definition of one Contributor Insights rule over the consume tally lines
 * (`CONSUME_TALLY` in lib/observability/metrics.ts): it sums their `admitted` or `refused` field
 * per project and instance, or per project, instance and app key. A line without that field (a
 * credential with none of those calls in the write) matches nothing, so it costs no matched event.
 */
export const contributorRuleBody = (logGroupName: string, kind: ContributorKind, calls: ContributorCalls) => {
  const keys: string[] = [CONSUME_TALLY.projectId, CONSUME_TALLY.instanceId];
  if (kind === 'credentials') keys.push(CONSUME_TALLY.appKey);
  const value = field(CONSUME_TALLY[calls]);
  return {
    Schema: { Name: 'CloudWatchLogRule', Version: 1 },
    LogGroupNames: [logGroupName],
    LogFormat: 'JSON',
    Contribution: {
      Keys: keys.map(field),
      ValueOf: value,
      Filters: [
        { Match: field(CONSUME_TALLY.kind), In: [CONSUME_TALLY_KIND] },
        { Match: value, GreaterThan: 0 },
      ],
    },
    AggregateOn: 'Sum',
  };
};

/** The rules' logs and their names' stage. */
export interface ContributorInsightsProps {
  readonly stage: string;
  /** The data plane's log group, where the tally lines are written. */
  readonly logGroup: ILogGroup;
}

/**
 * The Contributor Insights rules of a stage: the top instances and the top credentials by admitted
 * and by refused calls, read from the data plane's tally lines. Each rule is billed per month and
 * per matched log event (docs/design.md, "Cost per million checks"); none is a CloudWatch metric
 * per tenant.
 */
export class ContributorInsights extends Construct {
  /** The rules, keyed `instances-admitted`, `instances-refused`, `credentials-admitted`, `credentials-refused`. */
  public readonly rules: ReadonlyMap<string, CfnInsightRule>;

  /** Creates the four rules on `logGroup`. */
  constructor(scope: Construct, id: string, props: ContributorInsightsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rules = new Map<string, CfnInsightRule>();
    for (const [kind, calls] of CONTRIBUTOR_RULES) {
      const name = `${kind}-${calls}`;
      rules.set(
        name,
        new CfnInsightRule(this, name, {
          // Rule names are unique in an account and region: the stage tells the stages apart.
          ruleName: `${SERVICE_NAME}-${props.stage}-top-${name}`,
          ruleState: 'ENABLED',
          ruleBody: stack.toJsonString(contributorRuleBody(props.logGroup.logGroupName, kind, calls)),
        }),
      );
    }
    this.rules = rules;
  }
}

/** What a {@link ContributorsWidget} graphs. */
export interface ContributorsWidgetProps {
  readonly title: string;
  readonly rule: CfnInsightRule;
  readonly period: Duration;
  /** @default TOP_CONTRIBUTORS */
  readonly top?: number;
  /** @default 12 */
  readonly width?: number;
  /** @default 6 */
  readonly height?: number;
}

/**
 * A dashboard graph of a Contributor Insights rule's top contributors, by their sum: the metric
 * widget's `insightRule` form (CloudWatch dashboard body structure), which aws-cdk-lib has no
 * widget for.
 */
export class ContributorsWidget extends ConcreteWidget {
  readonly #props: ContributorsWidgetProps;

  /** A widget of `props.rule`. */
  constructor(props: ContributorsWidgetProps) {
    super(props.width ?? 12, props.height ?? 6);
    this.#props = props;
  }

  /** The widget as the dashboard body holds it. */
  toJson(): unknown[] {
    const { title, rule, period, top = TOP_CONTRIBUTORS } = this.#props;
    return [
      {
        type: 'metric',
        width: this.width,
        height: this.height,
        x: this.x,
        y: this.y,
        properties: {
          title,
          view: 'timeSeries',
          stacked: false,
          region: Stack.of(rule).region,
          period: period.toSeconds(),
          insightRule: { maxContributorCount: top, orderBy: 'Sum', ruleName: rule.attrRuleName },
          legend: { position: 'right' },
        },
      },
    ];
  }
}
