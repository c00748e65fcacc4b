// @ts-check
// Input validation for OrderService. Limits mirror the comments in ../proto/orders.proto.
// Each validator returns null when the input is valid, or a message for INVALID_ARGUMENT.

export const LIMITS = Object.freeze({
  customerMaxLength: 100,
  maxItems: 50,
  skuPattern: /^[A-Za-z0-9_-]{1,64}$/,
  minQuantity: 1,
  maxQuantity: 1000,
  defaultPageSize: 20,
  maxPageSize: 100,
  requestIdPattern: /^[A-Za-z0-9_-]{1,100}$/,
});

/** Order ids are UUIDs from crypto.randomUUID() (RFC 4122 version 4, lower case). */
export const ORDER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * @param {{ customer?: string, items?: Array<{ sku?: string, quantity?: number }>, requestId?: string, request_id?: string }} req
 * @returns {string | null}
 */
export function validateCreateOrder(req) {
  const customer = (req.customer ?? '').trim();
  if (customer.length === 0) {
    return 'customer must not be empty';
  }
  if (customer.length > LIMITS.customerMaxLength) {
    return `customer must be at most ${LIMITS.customerMaxLength} characters (got ${customer.length})`;
  }
  const items = req.items ?? [];
  if (items.length === 0) {
    return 'items must contain at least one line item';
  }
  if (items.length > LIMITS.maxItems) {
    return `items must contain at most ${LIMITS.maxItems} line items (got ${items.length})`;
  }
  for (const [i, item] of items.entries()) {
    const sku = item.sku ?? '';
    if (!LIMITS.skuPattern.test(sku)) {
      return `items[${i}].sku must be 1..64 characters of letters, digits, '-' or '_' (got ${JSON.stringify(sku.slice(0, 80))})`;
    }
    const q = item.quantity ?? 0;
    if (!Number.isInteger(q) || q < LIMITS.minQuantity || q > LIMITS.maxQuantity) {
      return `items[${i}].quantity must be between ${LIMITS.minQuantity} and ${LIMITS.maxQuantity} (got ${q})`;
    }
  }
  const requestId = req.requestId ?? req.request_id ?? '';
  if (requestId !== '' && !LIMITS.requestIdPattern.test(requestId)) {
    return `request_id must be empty (no deduplication) or 1..100 characters of letters, digits, '-' or '_' (got ${requestId.length} characters: ${JSON.stringify(requestId.slice(0, 80))})`;
  }
  return null;
}

/**
 * @param {{ id?: string }} req
 * @returns {string | null}
 */
export function validateGetOrder(req) {
  const id = req.id ?? '';
  if (id.length === 0) return 'id must not be empty';
  if (!ORDER_ID_PATTERN.test(id)) return `id must be a lower-case UUID (got ${JSON.stringify(id.slice(0, 80))})`;
  return null;
}

/**
 * @param {{ page_size?: number, pageSize?: number }} req
 * @returns {{ error: string } | { pageSize: number }}
 */
export function validateListOrders(req) {
  const raw = req.pageSize ?? req.page_size ?? 0;
  if (raw === 0) return { pageSize: LIMITS.defaultPageSize };
  if (!Number.isInteger(raw) || raw < 1 || raw > LIMITS.maxPageSize) {
    return { error: `page_size must be between 1 and ${LIMITS.maxPageSize}, or 0 for the default of ${LIMITS.defaultPageSize} (got ${raw})` };
  }
  return { pageSize: raw };
}
