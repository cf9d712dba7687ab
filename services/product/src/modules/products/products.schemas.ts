import { Type } from 'typebox';

const MAX_ID = Number.MAX_SAFE_INTEGER;
/** PostgreSQL text cannot hold NUL; refusing it in the schema turns `%00` into a 400, not a 500. */
export const NO_NUL = '^[^\\u0000]*$';

export const Id = Type.Integer({ minimum: 1, maximum: MAX_ID });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });
const Amount = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Minor units (cents)' });
const Stock = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });
const Status = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const Sku = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL });
const Description = Type.String({ maxLength: 5000, pattern: NO_NUL });

export const ProductSchema = Type.Object(
  {
    id: Type.Integer(),
    sku: Type.String(),
    name: Type.String(),
    description: Type.String(),
    category_id: Type.Union([Type.Integer(), Type.Null()]),
    price_amount: Type.Integer(),
    currency: Type.String(),
    stock: Type.Integer(),
    status: Status,
    version: Type.Integer({ description: 'Also sent as the ETag' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const CreateProductBody = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Description),
    category_id: Type.Optional(Type.Union([Id, Type.Null()])),
    price_amount: Amount,
    currency: Currency,
    stock: Type.Optional(Stock),
    status: Type.Optional(Status),
  },
  { additionalProperties: false },
);

/** Only catalog fields; id, version and timestamps are never writable (400). */
export const UpdateProductBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    category_id: Type.Optional(Type.Union([Id, Type.Null()])),
    price_amount: Type.Optional(Amount),
    currency: Type.Optional(Currency),
    stock: Type.Optional(Stock),
    status: Type.Optional(Status),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ProductIdParams = Type.Object({ id: Id });

export const SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'name_asc'] as const;
export type ProductSort = (typeof SORTS)[number];

export const MAX_PAGE_SIZE = 100;

export const SearchQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({ maxLength: 200, pattern: NO_NUL, description: 'Full-text query (web search syntax)' }),
    ),
    category_id: Type.Optional(Id),
    min_price: Type.Optional(Amount),
    max_price: Type.Optional(Amount),
    currency: Type.Optional(Currency),
    sort: Type.Optional(
      Type.Union(
        SORTS.map((s) => Type.Literal(s)),
        { description: 'Default: relevance with q, newest without' },
      ),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 512, description: 'next_cursor of the previous page' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, default: 20, description: `Page size, capped at ${MAX_PAGE_SIZE}` }),
    ),
  },
  { additionalProperties: false },
);

export const ProductPage = Type.Object(
  {
    items: Type.Array(ProductSchema),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 512 })) });
