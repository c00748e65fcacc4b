'use client';

import { useActionState } from 'react';

import { retryFulfilment } from '@/app/actions';
import { initialRetryFulfilmentState, type RetryFulfilmentState } from '@/lib/form-state';

import { Alert } from './alert';

/**
 * "Retry fulfilment" for a PENDING order: sends its fulfil-order job again (the worker is
 * idempotent) and shows the result. Used in the warning after placing an order whose job could
 * not be queued, and on the order page.
 */
export function RetryFulfilment({ orderId }: { orderId: string }) {
  const [state, formAction, pending] = useActionState<RetryFulfilmentState, FormData>(
    retryFulfilment,
    initialRetryFulfilmentState,
  );

  return (
    <form action={formAction} className="retry-fulfilment" data-testid="retry-fulfilment">
      <input type="hidden" name="orderId" value={orderId} />
      <button type="submit" disabled={pending} aria-disabled={pending}>
        {pending ? 'Sending job…' : 'Retry fulfilment'}
      </button>
      <div aria-live="polite">
        {state.kind === 'queued' ? (
          <p data-testid="retry-result">
            Fulfilment job queued, SQS message id <span className="mono" data-testid="retry-message-id">{state.messageId}</span>
          </p>
        ) : null}
        {state.kind === 'not-needed' ? (
          <p data-testid="retry-result">No job sent: the order is already {state.status}.</p>
        ) : null}
        {state.kind === 'failed' ? (
          <Alert title="The fulfilment job was not sent">
            <p data-testid="retry-error">{state.error.message}</p>
          </Alert>
        ) : null}
      </div>
    </form>
  );
}
