import { Type } from 'typebox';
import { NO_NUL } from '../products/products.schemas.js';

export const CategorySchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    name: Type.String(),
    description: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const CreateCategoryBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' }),
    name: Type.String({ minLength: 1, maxLength: 100, pattern: NO_NUL }),
    description: Type.Optional(Type.String({ maxLength: 2000, pattern: NO_NUL })),
  },
  { additionalProperties: false },
);

export const CategoryList = Type.Object(
  { items: Type.Array(CategorySchema) },
  { additionalProperties: false },
);

export const CategoryIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});
