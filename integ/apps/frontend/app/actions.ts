'use server';

import { randomUUID } from 'node:crypto';

import { status as GrpcStatus } from '@grpc/grpc-js';
import { revalidatePath } from 'next/cache';

import { describeGrpcError, describeQueueError, isGrpcStatus, logError } from '@/lib/errors';
import {
  ITEM_ROWS,
  REQUEST_ID_FIELD,
  UUID_PATTERN,
  type FieldErrors,
  type FormValues,
  type PlaceOrderState,
  type RetryFulfilmentState,
} from '@/lib/form-state';
import { enqueueFulfilment } from '@/lib/jobs';
import { getOrder } from '@/lib/orders-client';
import { isPending, placeOrderAndEnqueue } from '@/lib/place-order';
import { statusLabel, type LineItem } from '@/lib/types';

function text(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === 'string' ? value : '';
}

function readValues(formData: FormData): FormValues {
  return {
    customer: text(formData, 'customer'),
    items: Array.from({ length: ITEM_ROWS }, (_, i) => ({
      sku: text(formData, `sku-${i}`),
      quantity: text(formData, `quantity-${i}`),
    })),
  };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Places an order: CreateOrder on service A, then a fulfil-order job on SQS.
 * Only the shape of the input is checked here; service A owns the rules (lengths, SKU
 * pattern, ranges) and answers INVALID_ARGUMENT, which is shown next to the form.
 *
 * The form carries an idempotency key (hidden field, a UUID generated when the page was
 * rendered) sent as CreateOrderRequest.request_id: resubmitting after an error or a deadline
 * returns the order the first attempt created instead of creating a second one.
 */
export async function placeOrder(_previous: PlaceOrderState, formData: FormData): Promise<PlaceOrderState> {
  const submittedKey = text(formData, REQUEST_ID_FIELD);
  // A missing or malformed key (a hand-made request) gets a fresh one: no deduplication then.
  const requestId = UUID_PATTERN.test(submittedKey) ? submittedKey.toLowerCase() : randomUUID();
  const values = readValues(formData);
  const fieldErrors: FieldErrors = {};
  const customer = values.customer.trim();
  if (!customer) fieldErrors.customer = 'Enter a customer name.';

  const items: LineItem[] = [];
  values.items.forEach((row, i) => {
    const sku = row.sku.trim();
    if (!sku) return; // unused row
    const quantityText = row.quantity.trim();
    const quantity = Number(quantityText);
    if (!quantityText || !Number.isInteger(quantity) || Math.abs(quantity) > INT32_MAX) {
      fieldErrors.items ??= `Item ${i + 1} (${sku}): the quantity must be a whole number.`;
    } else {
      items.push({ sku, quantity });
    }
  });
  if (items.length === 0 && !fieldErrors.items) fieldErrors.items = 'Add at least one item: a SKU and a quantity.';
  if (fieldErrors.customer || fieldErrors.items) {
    return { kind: 'invalid', fieldErrors, values, requestId };
  }

  const outcome = await placeOrderAndEnqueue({ customer, items, requestId });
  if (outcome.kind === 'invalid') {
    return { kind: 'invalid', error: outcome.error, fieldErrors: {}, values, requestId };
  }
  if (outcome.kind === 'failed') {
    // Same key for the resubmit: if this call did create the order (a deadline hit after the
    // server stored it), the resubmit gets that order back.
    return { kind: 'failed', error: outcome.error, values, requestId };
  }

  // The recent-orders list on the page shows the new order in the same response.
  revalidatePath('/');
  // The order exists: the next submission of this form is a new order.
  const { order, messageId, queueError } = outcome;
  return { kind: 'placed', order, messageId, queueError, requestId: randomUUID() };
}

/**
 * "Retry fulfilment": sends the fulfil-order job again for an order that is still PENDING (its
 * first job could not be queued, or was lost). The worker is idempotent, so a duplicate job is
 * harmless. The order is read first (GetOrder) so that only existing PENDING orders get a job.
 */
export async function retryFulfilment(_previous: RetryFulfilmentState, formData: FormData): Promise<RetryFulfilmentState> {
  const orderId = text(formData, 'orderId').trim();
  if (!orderId || orderId.length > 100) {
    return { kind: 'failed', error: { code: 'INVALID_ARGUMENT', message: 'No order id was given.' } };
  }

  let order;
  try {
    order = await getOrder(orderId);
  } catch (err) {
    if (!isGrpcStatus(err, GrpcStatus.NOT_FOUND)) logError('retry-fulfilment-get-order-failed', err, { orderId });
    return { kind: 'failed', error: describeGrpcError(err) };
  }
  if (!isPending(order)) {
    return { kind: 'not-needed', status: statusLabel(order.status) };
  }

  try {
    const messageId = await enqueueFulfilment(order.id);
    return { kind: 'queued', messageId };
  } catch (err) {
    logError('retry-fulfilment-failed', err, { orderId });
    return { kind: 'failed', error: describeQueueError(err) };
  }
}
