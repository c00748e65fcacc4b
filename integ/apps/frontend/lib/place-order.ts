import 'server-only';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { describeGrpcError, describeQueueError, isGrpcStatus, logError, type DisplayError } from './errors';
import { enqueueFulfilment } from './jobs';
import { createOrder } from './orders-client';
import type { LineItem, Order } from './types';

// Placing an order, shared by the server action (app/actions.ts, the form) and the JSON API
// (POST /api/orders): CreateOrder on service A, then the fulfil-order job on SQS.

export interface NewOrder {
  customer: string;
  items: LineItem[];
  /** Idempotency key, sent as CreateOrderRequest.request_id (empty: no deduplication). */
  requestId: string;
}

export type PlaceOrderOutcome =
  /** Service A rejected the order (INVALID_ARGUMENT); error.message names the field. */
  | { kind: 'invalid'; error: DisplayError }
  /** Service A failed (unavailable, deadline, internal): nothing is known to be stored. */
  | { kind: 'failed'; error: DisplayError }
  /**
   * The order exists (created now, or returned again for a repeated request id). messageId is
   * set when the fulfilment job was sent, queueError when it could not be sent; neither when the
   * order is no longer PENDING (a repeated request for an order already fulfilled): no job then.
   * created: true when this call created it, false for a repeated request id, undefined when
   * service A does not say.
   */
  | { kind: 'placed'; order: Order; created: boolean | undefined; messageId?: string; queueError?: DisplayError };

export const isPending = (order: Order) => order.status === 'ORDER_STATUS_PENDING';

/**
 * CreateOrder, then SendMessage of the fulfil-order job while the order is PENDING. Service A
 * returns the existing order for a repeated request id, so a retry never creates a second order;
 * a retry for an order still PENDING sends its job again (harmless: the worker fulfils an order
 * once), which is also how a job that could not be queued the first time gets sent.
 */
export async function placeOrderAndEnqueue({ customer, items, requestId }: NewOrder): Promise<PlaceOrderOutcome> {
  let order: Order;
  let created: boolean | undefined;
  try {
    ({ order, created } = await createOrder(customer, items, requestId));
  } catch (err) {
    const error = describeGrpcError(err);
    if (isGrpcStatus(err, GrpcStatus.INVALID_ARGUMENT)) return { kind: 'invalid', error };
    logError('create-order-failed', err, { requestId });
    return { kind: 'failed', error };
  }

  if (!isPending(order)) return { kind: 'placed', order, created };
  try {
    const messageId = await enqueueFulfilment(order.id);
    return { kind: 'placed', order, created, messageId };
  } catch (err) {
    logError('enqueue-fulfilment-failed', err, { orderId: order.id });
    return { kind: 'placed', order, created, queueError: describeQueueError(err) };
  }
}
