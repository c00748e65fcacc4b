import 'server-only';

import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { grpcDeadlineMs, ordersGrpcAddress } from './config';
import type { LineItem, Order } from './types';

// gRPC client of service A (orders.v1.OrderService). Server-side only: 'server-only' makes
// the build fail if a client component ever imports this module.

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<Res>,
) => grpc.ClientUnaryCall;

interface OrderServiceClient extends grpc.Client {
  CreateOrder: UnaryMethod<{ customer: string; items: LineItem[]; requestId: string }, Order>;
  GetOrder: UnaryMethod<{ id: string }, Order>;
  ListOrders: UnaryMethod<{ pageSize: number }, { orders: Order[] }>;
}

/** PROTO_PATH, else ./proto/orders.proto (standalone server and image), else ../proto (dev). */
export function resolveProtoPath(): string {
  const candidates = [
    process.env.PROTO_PATH,
    path.join(process.cwd(), 'proto', 'orders.proto'),
    path.join(process.cwd(), '..', 'proto', 'orders.proto'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`orders.proto not found (looked in ${candidates.join(', ')}); set PROTO_PATH`);
  }
  return found;
}

let serviceCtor: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (!serviceCtor) {
    const definition = protoLoader.loadSync(resolveProtoPath(), {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      orders: { v1: { OrderService: grpc.ServiceClientConstructor } };
    };
    serviceCtor = loaded.orders.v1.OrderService;
  }
  return serviceCtor;
}

// One channel per address for the life of the process (survives dev hot reloads too).
const cache = globalThis as unknown as { __ordersGrpc?: { address: string; client: OrderServiceClient } };

function client(): OrderServiceClient {
  const address = ordersGrpcAddress();
  if (cache.__ordersGrpc?.address !== address) {
    cache.__ordersGrpc?.client.close();
    const Ctor = loadService();
    cache.__ordersGrpc = {
      address,
      client: new Ctor(address, grpc.credentials.createInsecure(), {
        'grpc.primary_user_agent': 'orders-frontend',
      }) as unknown as OrderServiceClient,
    };
  }
  return cache.__ordersGrpc.client;
}

type Method = keyof Pick<OrderServiceClient, 'CreateOrder' | 'GetOrder' | 'ListOrders'>;

/** A unary call; resolves with the response and the response headers (initial metadata). */
function unaryWithHeaders<Req, Res>(method: Method, request: Req, timeoutMs = grpcDeadlineMs()): Promise<{ value: Res; headers: grpc.Metadata | undefined }> {
  const c = client();
  const fn = c[method] as unknown as UnaryMethod<Req, Res>;
  return new Promise((resolve, reject) => {
    let headers: grpc.Metadata | undefined;
    const call = fn.call(c, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, value) => {
      if (err) reject(err);
      else resolve({ value: value as Res, headers });
    });
    // Emitted when the response headers arrive, before the response message and the callback.
    call.on('metadata', (metadata: grpc.Metadata) => {
      headers = metadata;
    });
  });
}

async function unary<Req, Res>(method: Method, request: Req, timeoutMs?: number): Promise<Res> {
  return (await unaryWithHeaders<Req, Res>(method, request, timeoutMs)).value;
}

/**
 * Response header of service A's CreateOrder: `true` when this call created the order, `false`
 * when a repeated request_id returned the order an earlier call created.
 */
export const ORDER_CREATED_HEADER = 'order-created';

export interface CreateOrderResult {
  order: Order;
  /** true: created by this call; false: an earlier call with the same key created it; undefined: unknown (older service A). */
  created: boolean | undefined;
}

/**
 * requestId is the idempotency key (CreateOrderRequest.request_id): service A returns the order
 * an earlier call with the same key created instead of creating another one.
 */
export async function createOrder(customer: string, items: LineItem[], requestId: string): Promise<CreateOrderResult> {
  const { value, headers } = await unaryWithHeaders<{ customer: string; items: LineItem[]; requestId: string }, Order>('CreateOrder', { customer, items, requestId });
  const flag = headers?.get(ORDER_CREATED_HEADER)[0];
  return { order: value, created: flag === 'true' ? true : flag === 'false' ? false : undefined };
}

export function getOrder(id: string): Promise<Order> {
  return unary('GetOrder', { id });
}

export async function listOrders(pageSize = 20, timeoutMs?: number): Promise<Order[]> {
  const response = await unary<{ pageSize: number }, { orders: Order[] }>('ListOrders', { pageSize }, timeoutMs);
  return response.orders ?? [];
}
