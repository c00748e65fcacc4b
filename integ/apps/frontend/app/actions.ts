'use server';

import { status as GrpcStatus } from '@grpc/grpc-js';
import { revalidatePath } from 'next/cache';

import { describeGrpcError, describeQueueError, isGrpcStatus, logError } from '@/lib/errors';
import { ITEM_ROWS, type FieldErrors, type FormValues, type PlaceOrderState } from '@/lib/form-state';
import { enqueueFulfilment } from '@/lib/jobs';
import { createOrder } from '@/lib/orders-client';
import type { LineItem } from '@/lib/types';

function readValues(formData: FormData): FormValues {
  const text = (name: string) => {
    const value = formData.get(name);
    return typeof value === 'string' ? value : '';
  };
  return {
    customer: text('customer'),
    items: Array.from({ length: ITEM_ROWS }, (_, i) => ({ sku: text(`sku-${i}`), quantity: text(`quantity-${i}`) })),
  };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Places an order: CreateOrder on service A, then a fulfil-order job on SQS.
 * Only the shape of the input is checked here; service A owns the rules (lengths, SKU
 * pattern, ranges) and answers INVALID_ARGUMENT, which is shown next to the form.
 */
export async function placeOrder(_previous: PlaceOrderState, formData: FormData): Promise<PlaceOrderState> {
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
    return { kind: 'invalid', fieldErrors, values };
  }

  let order;
  try {
    order = await createOrder(customer, items);
  } catch (err) {
    const error = describeGrpcError(err);
    if (isGrpcStatus(err, GrpcStatus.INVALID_ARGUMENT)) {
      return { kind: 'invalid', error, fieldErrors: {}, values };
    }
    logError('create-order-failed', err);
    return { kind: 'failed', error, values };
  }

  // The recent-orders list on the page shows the new order in the same response.
  revalidatePath('/');

  try {
    const messageId = await enqueueFulfilment(order.id);
    return { kind: 'placed', order, messageId };
  } catch (err) {
    logError('enqueue-fulfilment-failed', err, { orderId: order.id });
    return { kind: 'placed', order, queueError: describeQueueError(err) };
  }
}
