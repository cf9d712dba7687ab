import { ProblemSchema } from '../errors/problem.schema.js';

/** `schema.response` entries for error answers the kit's handler produces: `{ ...problems(400, 404) }`. */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema]));
}
