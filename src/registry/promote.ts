import { ConflictError } from '../errors.js';
import type { ModelMetrics } from '../schemas/model.js';
import type { PromoteRule, Promotion } from '../schemas/registry.js';
import type { ModelRegistry } from './registry.js';

const higherIsBetter = { testAccuracy: true, testLoss: false } as const;

/**
 * A job's promote rule, applied once its version is registered: the alias moves to it only when
 * the condition holds, by a compare-and-set on the version the alias held when it was judged, so
 * a move that happened meanwhile wins and this one is recorded as not done.
 */
export async function applyPromoteRule(
  registry: Pick<ModelRegistry, 'heads' | 'version' | 'moveAlias'>,
  at: { tenant: string; name: string; version: number; jobId: string },
  metrics: ModelMetrics,
  rule: PromoteRule,
): Promise<Promotion> {
  const { tenant, name, version } = at;
  const current = (await registry.heads(tenant, name))?.aliases[rule.alias] ?? null;
  const outcome = (promoted: boolean, reason: string): Promotion => ({
    alias: rule.alias,
    promoted,
    reason,
    from: current,
  });
  if (current === version) return outcome(true, `alias "${rule.alias}" already holds version ${version}`);
  const cond = rule.if;
  if (cond) {
    const value = metrics[cond.metric];
    if (cond.atLeast !== undefined && value < cond.atLeast)
      return outcome(false, `${cond.metric} ${value} is below the required ${cond.atLeast}`);
    if (cond.atMost !== undefined && value > cond.atMost)
      return outcome(false, `${cond.metric} ${value} is above the allowed ${cond.atMost}`);
    if (cond.betterThanCurrent && current !== null) {
      const held = (await registry.version(tenant, name, current)).metrics[cond.metric];
      const better = higherIsBetter[cond.metric] ? value > held : value < held;
      if (!better)
        return outcome(
          false,
          `${cond.metric} ${value} does not beat ${held} of version ${current}, which "${rule.alias}" holds`,
        );
    }
  }
  try {
    await registry.moveAlias(tenant, name, rule.alias, version, { expected: current, by: `job:${at.jobId}` });
  } catch (err) {
    if (err instanceof ConflictError) return outcome(false, `another move of alias "${rule.alias}" won meanwhile`);
    throw err;
  }
  return outcome(true, cond ? `${cond.metric} ${metrics[cond.metric]} met the rule` : 'promoted unconditionally');
}
