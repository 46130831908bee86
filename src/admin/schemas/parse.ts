import type { z } from 'zod'
import { validationFailed, type FieldProblem } from '../../http/errors'
import type { Policy } from '../../policy/types'
import { policyProblems } from './policy'

/** Turns zod issues into the API's field list: `policy.origins.0`, one entry per unknown key. */
export function toFieldProblems(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = []
  for (const issue of error.issues) {
    const base = issue.path.map(String)
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: [...base, key].join('.'), message: 'unknown field' })
    } else {
      problems.push({ field: base.join('.') || '(body)', message: issue.message })
    }
  }
  return problems
}

/** One sentence naming every offending field, for the problem's `detail`. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ')
}

/** Validates `value` or throws 422 naming the offending fields. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) {
    const problems = toFieldProblems(result.error)
    throw validationFailed(describeProblems(problems), problems)
  }
  return result.data
}

/** Like `parseInput`, then the cross-field policy rules. */
export function assertPolicyValid(policy: Policy, prefix: string): void {
  const problems = policyProblems(policy, prefix)
  if (problems.length > 0) throw validationFailed(describeProblems(problems), problems)
}

/** 422 for one field, as a zod failure would report it. */
export function refuseField(field: string, message: string): ReturnType<typeof validationFailed> {
  return validationFailed(`${field}: ${message}`, [{ field, message }])
}
