import Link from 'next/link';

import type { Order } from '@/lib/types';

import { StatusBadge } from './status-badge';

export function formatTime(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function itemsSummary(order: Order): string {
  return order.items.map((item) => `${item.quantity} × ${item.sku}`).join(', ');
}

export function OrdersTable({ orders }: { orders: Order[] }) {
  if (orders.length === 0) {
    return <p className="muted">No orders yet. Place the first one above.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="orders" data-testid="orders-table">
        <caption className="visually-hidden">Most recent orders, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Customer</th>
            <th scope="col">Items</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {orders.map((order) => (
            <tr key={order.id} data-order-id={order.id}>
              <td>
                <Link href={`/orders/${encodeURIComponent(order.id)}`} className="mono">
                  {order.id}
                </Link>
              </td>
              <td>{order.customer}</td>
              <td>{itemsSummary(order)}</td>
              <td>
                <StatusBadge status={order.status} />
              </td>
              <td>
                <time dateTime={order.createdAt}>{formatTime(order.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
