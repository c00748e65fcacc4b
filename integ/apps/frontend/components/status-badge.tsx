import { statusLabel, type OrderStatus } from '@/lib/types';

export function StatusBadge({ status }: { status: OrderStatus | string }) {
  const label = statusLabel(status);
  return (
    <span className={`badge badge-${label.toLowerCase()}`} data-testid="order-status">
      {label}
    </span>
  );
}
