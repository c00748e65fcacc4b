'use client';

import Link from 'next/link';
import { useActionState } from 'react';

import { Alert } from '@/components/alert';
import { RetryFulfilment } from '@/components/retry-fulfilment';
import { StatusBadge } from '@/components/status-badge';
import { initialPlaceOrderState, ITEM_ROWS, REQUEST_ID_FIELD, type PlaceOrderState } from '@/lib/form-state';
import { statusLabel } from '@/lib/types';

import { placeOrder } from './actions';

/**
 * requestId: idempotency key for the first submission, generated on the server when the page is
 * rendered. The action's state carries the key for the next one (kept after a failure, so a
 * resubmit cannot create a second order; new after an order was placed).
 */
export function PlaceOrderForm({ requestId }: { requestId: string }) {
  const [state, formAction, pending] = useActionState<PlaceOrderState, FormData>(
    placeOrder,
    initialPlaceOrderState(requestId),
  );

  const values = state.kind === 'invalid' || state.kind === 'failed' ? state.values : undefined;
  const fieldErrors = state.kind === 'invalid' ? state.fieldErrors : {};
  const formError = state.kind === 'invalid' || state.kind === 'failed' ? state.error : undefined;

  return (
    <>
      <form action={formAction} className="order-form" aria-describedby={formError ? 'form-error' : undefined} noValidate>
        <input type="hidden" name={REQUEST_ID_FIELD} value={state.requestId} data-testid="request-id" />
        {formError ? (
          <Alert
            id="form-error"
            title={state.kind === 'invalid' ? 'The order was not accepted' : 'The order could not be placed'}
          >
            <p data-testid="form-error">{formError.message}</p>
          </Alert>
        ) : null}

        <div className="field">
          <label htmlFor="customer">Customer</label>
          <input
            id="customer"
            name="customer"
            type="text"
            autoComplete="name"
            maxLength={200}
            required
            defaultValue={values?.customer ?? ''}
            aria-invalid={fieldErrors.customer ? true : undefined}
            aria-describedby={fieldErrors.customer ? 'customer-error' : undefined}
          />
          {fieldErrors.customer ? (
            <p className="field-error" id="customer-error">
              {fieldErrors.customer}
            </p>
          ) : null}
        </div>

        <fieldset aria-describedby={fieldErrors.items ? 'items-error' : 'items-hint'}>
          <legend>Items</legend>
          <p className="hint" id="items-hint">
            SKU: letters, digits, “-” and “_”. Quantity: 1 to 1000. Leave unused rows empty.
          </p>
          {Array.from({ length: ITEM_ROWS }, (_, i) => (
            <div className="item-row" key={i}>
              <div className="field">
                <label htmlFor={`sku-${i}`}>SKU {i + 1}</label>
                <input
                  id={`sku-${i}`}
                  name={`sku-${i}`}
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  defaultValue={values?.items[i]?.sku ?? ''}
                  required={i === 0}
                  aria-invalid={fieldErrors.items ? true : undefined}
                />
              </div>
              <div className="field field-narrow">
                <label htmlFor={`quantity-${i}`}>Quantity {i + 1}</label>
                <input
                  id={`quantity-${i}`}
                  name={`quantity-${i}`}
                  type="number"
                  inputMode="numeric"
                  step={1}
                  defaultValue={values?.items[i]?.quantity ?? '1'}
                  aria-invalid={fieldErrors.items ? true : undefined}
                />
              </div>
            </div>
          ))}
          {fieldErrors.items ? (
            <p className="field-error" id="items-error">
              {fieldErrors.items}
            </p>
          ) : null}
        </fieldset>

        <button type="submit" disabled={pending} aria-disabled={pending}>
          {pending ? 'Placing order…' : 'Place order'}
        </button>
      </form>

      <div aria-live="polite" className="result-region">
        {state.kind === 'placed' ? <PlacedOrder state={state} /> : null}
      </div>
    </>
  );
}

function PlacedOrder({ state }: { state: Extract<PlaceOrderState, { kind: 'placed' }> }) {
  const { order, messageId, queueError } = state;
  return (
    <section className="result" data-testid="order-result" aria-labelledby="result-heading">
      <h3 id="result-heading">Order placed</h3>
      <dl>
        <dt>Order id</dt>
        <dd>
          <Link href={`/orders/${encodeURIComponent(order.id)}`} className="mono" data-testid="order-id">
            {order.id}
          </Link>
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={order.status} />
        </dd>
        <dt>Fulfilment job</dt>
        <dd>
          {messageId ? (
            <>
              queued, SQS message id <span className="mono" data-testid="message-id">{messageId}</span>
            </>
          ) : queueError ? (
            'not queued'
          ) : (
            `not needed (the order is ${statusLabel(order.status)})`
          )}
        </dd>
      </dl>
      {queueError ? (
        <Alert title="Fulfilment was not started" tone="warning">
          <p data-testid="queue-error">{queueError.message}</p>
          <RetryFulfilment orderId={order.id} />
        </Alert>
      ) : null}
    </section>
  );
}
