import type { ReactNode } from 'react';

/** A readable error or warning box. role="alert" so screen readers announce it. */
export function Alert({
  title,
  children,
  tone = 'error',
  id,
}: {
  title: string;
  children?: ReactNode;
  tone?: 'error' | 'warning';
  id?: string;
}) {
  return (
    <div className={`alert alert-${tone}`} role="alert" id={id}>
      <p className="alert-title">{title}</p>
      {children ? <div className="alert-body">{children}</div> : null}
    </div>
  );
}
