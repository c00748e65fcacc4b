// State of the place-order form, passed between the server action and the client form.
// Plain data only (it crosses the server/client boundary).
import type { Order } from './types';

export interface DisplayError {
  code: string;
  message: string;
}

export const ITEM_ROWS = 3;

export interface ItemValues {
  sku: string;
  quantity: string;
}

export interface FormValues {
  customer: string;
  items: ItemValues[];
}

export type FieldErrors = Partial<Record<'customer' | 'items', string>>;

export type PlaceOrderState =
  | { kind: 'idle' }
  /** Rejected by the form checks or by service A (INVALID_ARGUMENT): shown next to the form. */
  | { kind: 'invalid'; error?: DisplayError; fieldErrors: FieldErrors; values: FormValues }
  /** Service A failed (unavailable, deadline, internal). */
  | { kind: 'failed'; error: DisplayError; values: FormValues }
  /** Order created; queueError is set when the fulfilment job could not be sent. */
  | { kind: 'placed'; order: Order; messageId?: string; queueError?: DisplayError };

export const initialPlaceOrderState: PlaceOrderState = { kind: 'idle' };
