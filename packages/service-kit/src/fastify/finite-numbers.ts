import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../errors/domain-errors.js';
import { jsonPointer } from '../errors/validation-issues.js';

interface Node {
  value: unknown;
  key: string | number | undefined;
  parent: Node | undefined;
}

function pathOf(node: Node): Array<string | number> {
  const path: Array<string | number> = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  return path;
}

/**
 * Path of the first non-finite number inside `root`, in document order. Iterative with parent links,
 * so a deeply nested body can neither overflow the stack nor cost more than one visit per value.
 */
export function findNonFiniteNumber(root: unknown): Array<string | number> | undefined {
  const stack: Node[] = [{ value: root, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return pathOf(node);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const children: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((item, index) => [index, item])
      : Object.entries(value);
    for (let i = children.length - 1; i >= 0; i -= 1) {
      const [key, child] = children[i]!;
      stack.push({ value: child, key, parent: node });
    }
  }
  return undefined;
}

const locations = ['params', 'query', 'body'] as const;

/**
 * preHandler (after schema validation): ajv coerces query/path strings such as `1e400` to Infinity,
 * JSON.parse turns a body's `1e400` into Infinity, and ajv's number/integer and range keywords let
 * such values through (`Infinity >= 0`), so without this they reach PostgreSQL and fail as a 500.
 */
export async function rejectNonFiniteNumbers(request: FastifyRequest): Promise<void> {
  for (const location of locations) {
    const path = findNonFiniteNumber(request[location]);
    if (path === undefined) continue;
    const pointer = jsonPointer(location, path);
    const detail = 'must be a finite number';
    throw new ValidationError({ detail: `${pointer} ${detail}`, errors: [{ pointer, detail }] });
  }
}
