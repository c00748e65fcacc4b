import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { connection } from 'next/server';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { Alert } from '@/components/alert';
import { formatTime } from '@/components/orders-table';
import { RetryFulfilment } from '@/components/retry-fulfilment';
import { StatusBadge } from '@/components/status-badge';
import { describeGrpcError, isGrpcStatus, logError, type DisplayError } from '@/lib/errors';
import { getOrder } from '@/lib/orders-client';
import type { Order } from '@/lib/types';

type Props = { params: Promise<{ id: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  return { title: `Order ${id}` };
}

export default async function OrderPage({ params }: Props) {
  await connection();
  const { id } = await params;

  let order: Order | undefined;
  let error: DisplayError | undefined;
  try {
    order = await getOrder(id);
  } catch (err) {
    if (isGrpcStatus(err, GrpcStatus.NOT_FOUND) || isGrpcStatus(err, GrpcStatus.INVALID_ARGUMENT)) notFound();
    logError('get-order-failed', err, { orderId: id });
    error = describeGrpcError(err);
  }

  return (
    <section className="card" aria-labelledby="order-heading">
      <p>
        <Link href="/">← All orders</Link>
      </p>
      <h1 id="order-heading">
        Order <span className="mono">{id}</span>
      </h1>
      {error || !order ? (
        <Alert title="The order could not be loaded">
          <p data-testid="order-error">{error?.message}</p>
        </Alert>
      ) : (
        <>
          <dl className="details" data-testid="order-details">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={order.status} />
            </dd>
            <dt>Customer</dt>
            <dd>{order.customer}</dd>
            <dt>Created</dt>
            <dd>
              <time dateTime={order.createdAt}>{formatTime(order.createdAt)}</time>
            </dd>
            <dt>Fulfilled</dt>
            <dd>
              {order.fulfilledAt ? (
                <time dateTime={order.fulfilledAt}>{formatTime(order.fulfilledAt)}</time>
              ) : (
                'not yet'
              )}
            </dd>
          </dl>
          <h2>Items</h2>
          <ul>
            {order.items.map((item, i) => (
              <li key={`${item.sku}-${i}`}>
                {item.quantity} × <span className="mono">{item.sku}</span>
              </li>
            ))}
          </ul>
          {order.status === 'ORDER_STATUS_PENDING' ? (
            <>
              <h2>Fulfilment</h2>
              <p className="hint">
                Still PENDING? If its fulfilment job was never queued (or was lost), send it again. Repeating it is
                safe: the worker fulfils an order once.
              </p>
              <RetryFulfilment orderId={order.id} />
            </>
          ) : null}
        </>
      )}
      <p>
        <a href={`/orders/${encodeURIComponent(id)}`} className="button-link">
          Refresh status
        </a>
      </p>
    </section>
  );
}
