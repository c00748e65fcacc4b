// Plain shapes of orders.v1 messages as the frontend uses them (proto-loader options:
// camelCase fields, enums as their names). Safe to import from client components.

export type OrderStatus =
  | 'ORDER_STATUS_UNSPECIFIED'
  | 'ORDER_STATUS_PENDING'
  | 'ORDER_STATUS_FULFILLED'
  | 'ORDER_STATUS_FAILED';

export interface LineItem {
  sku: string;
  quantity: number;
}

export interface Order {
  id: string;
  customer: string;
  items: LineItem[];
  status: OrderStatus;
  /** RFC 3339 */
  createdAt: string;
  /** RFC 3339, empty until fulfilled */
  fulfilledAt: string;
}

/** ORDER_STATUS_PENDING -> PENDING */
export function statusLabel(status: OrderStatus | string): string {
  return String(status || 'ORDER_STATUS_UNSPECIFIED').replace(/^ORDER_STATUS_/, '');
}
