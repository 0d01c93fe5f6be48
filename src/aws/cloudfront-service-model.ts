import {
  CachePolicyConfig$,
  ContinuousDeploymentPolicyConfig$,
  DistributionConfig$,
  InvalidationBatch$,
  ResponseHeadersPolicyConfig$,
} from "@aws-sdk/client-cloudfront";

/**
 * Checks a request's body against CloudFront's published service model: the schemas the AWS SDK
 * is generated from (and serializes with), exported by `@aws-sdk/client-cloudfront`. What it
 * checks is what AWS refuses before looking any further: a required member missing, a value of
 * the wrong type, and a `Quantity` that is not the number of `Items` (CloudFront's lists all carry
 * both). The sandbox's model and the test bed's strict layer both check with it, so a request AWS
 * would refuse fails there too rather than passing through a lenient simulation.
 *
 * The schemas' encoding (smithy-typescript's schema serde): a structure is
 * `[3, namespace, name, traits, memberNames, memberSchemas, requiredCount]`, its first
 * `requiredCount` members required; a list `[1, namespace, name, traits, memberSchema]`; a map
 * `[2, namespace, name, traits, keySchema, valueSchema]`; a member `[schema, traits]`; a schema
 * may be a function returning it (for cycles); a simple type is a number (0 string, 1 number,
 * 2 boolean) or, with traits of its own, `[0, namespace, name, traits, simpleType]`.
 */

/** The payloads of the writes the bot makes, by the name AWS gives their root element. */
export const PAYLOADS = {
  DistributionConfig: DistributionConfig$,
  InvalidationBatch: InvalidationBatch$,
  CachePolicyConfig: CachePolicyConfig$,
  ResponseHeadersPolicyConfig: ResponseHeadersPolicyConfig$,
  ContinuousDeploymentPolicyConfig: ContinuousDeploymentPolicyConfig$,
} as const;

export type PayloadName = keyof typeof PAYLOADS;

const SIMPLE = 0;
const STRUCTURE = 3;
const UNION = 4;
const LIST = 1;
const MAP = 2;
const SIMPLE_TYPES: Record<number, string> = { 0: "string", 1: "number", 2: "boolean" };

type SchemaArray = readonly unknown[];

/** The schema a member or a lazy reference stands for. */
function resolve(schema: unknown): unknown {
  let s = schema;
  for (let depth = 0; depth < 10; depth++) {
    if (typeof s === "function") s = (s as () => unknown)();
    else if (Array.isArray(s) && s.length === 2) s = s[0];
    else return s;
  }
  return s;
}

/** What is wrong with `value` as an instance of `schema`, each problem naming where (`path`). */
export function shapeProblems(schema: unknown, value: unknown, path: string): string[] {
  const problems: string[] = [];
  check(resolve(schema), value, path, problems);
  return problems;
}

function check(schema: unknown, value: unknown, path: string, problems: string[]): void {
  if (value === undefined || value === null) return;
  if (typeof schema === "number") {
    const expected = SIMPLE_TYPES[schema];
    if (expected && typeof value !== expected) problems.push(`${path} must be a ${expected}`);
    return;
  }
  if (!Array.isArray(schema)) return;
  const s = schema as SchemaArray;
  const kind = s[0];
  if (kind === SIMPLE) check(resolve(s[4]), value, path, problems);
  else if (kind === LIST) {
    if (!Array.isArray(value)) problems.push(`${path} must be a list`);
    else
      value.forEach((item, i) => {
        check(resolve(s[4]), item, `${path}[${i}]`, problems);
      });
  } else if (kind === MAP) {
    if (typeof value !== "object") problems.push(`${path} must be a map`);
    else
      for (const [key, item] of Object.entries(value as object))
        check(resolve(s[5]), item, `${path}.${key}`, problems);
  } else if (kind === STRUCTURE || kind === UNION) {
    if (typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${path} must be a structure`);
      return;
    }
    checkStructure(s, value as Record<string, unknown>, path, problems);
  }
}

function checkStructure(s: SchemaArray, value: Record<string, unknown>, path: string, problems: string[]) {
  const names = (s[4] ?? []) as string[];
  const members = (s[5] ?? []) as unknown[];
  const required = s[0] === STRUCTURE && typeof s[6] === "number" ? s[6] : 0;
  names.forEach((name, i) => {
    const member = value[name];
    if (member === undefined || member === null) {
      if (i < required) problems.push(`${path}.${name} is required`);
      return;
    }
    check(resolve(members[i]), member, `${path}.${name}`, problems);
  });
  // Every CloudFront list is a Quantity beside its Items, and AWS checks that they agree.
  if (names.includes("Quantity") && names.includes("Items") && typeof value.Quantity === "number") {
    const items = Array.isArray(value.Items) ? value.Items.length : 0;
    if (items !== value.Quantity)
      problems.push(`${path}.Quantity is ${value.Quantity} but ${path}.Items has ${items}`);
  }
}
