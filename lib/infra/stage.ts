/**
 * Deployment stages. A stage names one environment (its two stacks, its API, its table), so it must
 * be safe inside CloudFormation stack names and AWS resource names.
 */

/** The stage used when `-c stage=NAME` is not given. */
export const DEFAULT_STAGE = 'dev';

/** The one stage whose data must survive a `cdk destroy` or a mistaken replacement. */
export const PRODUCTION_STAGE = 'prod';

/** Lower-case letter first, then up to 20 lower-case letters, digits or hyphens. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,20}$/;

/** Returns the stage name, or throws when it is not a valid stage name. */
export const parseStage = (value: unknown): string => {
  const stage = value ?? DEFAULT_STAGE;
  if (typeof stage !== 'string' || !STAGE_PATTERN.test(stage)) {
    throw new Error(`invalid stage ${JSON.stringify(stage)}: expected ${STAGE_PATTERN.source}`);
  }
  return stage;
};

/** Whether a stage holds data that must be retained and protected from deletion. */
export const isProductionStage = (stage: string): boolean => stage === PRODUCTION_STAGE;
