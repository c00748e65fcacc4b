import { randomUUID } from 'node:crypto';

import { connection } from 'next/server';

import { Alert } from '@/components/alert';
import { OrdersTable } from '@/components/orders-table';
import { describeGrpcError, logError, type DisplayError } from '@/lib/errors';
import { listOrders } from '@/lib/orders-client';
import type { Order } from '@/lib/types';

import { PlaceOrderForm } from './place-order-form';

export default async function HomePage() {
  // Rendered per request: reads runtime env and live data, never prerendered at build time.
  await connection();

  let orders: Order[] = [];
  let error: DisplayError | undefined;
  try {
    orders = await listOrders(20);
  } catch (err) {
    logError('list-orders-failed', err);
    error = describeGrpcError(err);
  }

  return (
    <div className="layout">
      <section aria-labelledby="place-heading" className="card">
        <h1 id="place-heading">Place an order</h1>
        {/* One idempotency key per rendered form (CreateOrderRequest.request_id). */}
        <PlaceOrderForm requestId={randomUUID()} />
      </section>

      <section aria-labelledby="recent-heading" className="card">
        <div className="section-head">
          <h2 id="recent-heading">Recent orders</h2>
          <a href="/" className="button-link">
            Refresh
          </a>
        </div>
        {error ? (
          <Alert title="Recent orders could not be loaded">
            <p data-testid="orders-error">{error.message}</p>
          </Alert>
        ) : (
          <OrdersTable orders={orders} />
        )}
      </section>
    </div>
  );
}
