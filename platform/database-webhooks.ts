import type { ColumnType, Generated } from 'kysely';

/**
 * Tables of events and webhooks (migrations/0070_webhooks.ts): the outbox that every domain
 * writes (platform/events.ts), and the partners' endpoints, deliveries and attempts
 * (partners/webhooks*.ts).
 */

type Json<T> = ColumnType<T, T, T>;

export interface EventsTable {
  id: string;
  type: string;
  occurred_at: Date;
  audience: string[];
  data: Json<Record<string, unknown>>;
  audience_data: ColumnType<
    Record<string, Record<string, unknown>>,
    Record<string, Record<string, unknown>> | undefined,
    Record<string, Record<string, unknown>>
  >;
  dispatched_at: Date | null;
}

export type WebhookEndpointStatus = 'active' | 'paused' | 'deleted';

export interface WebhookEndpointsTable {
  id: string;
  partner_id: string;
  url: string;
  event_types: string[];
  description: Generated<string>;
  status: WebhookEndpointStatus;
  created_at: Date;
  updated_at: Date;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  partner_id: string;
  event_id: string;
  event_type: string;
  body: string;
  redelivery_of: string | null;
  status: WebhookDeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: Date;
  give_up_at: Date;
  created_at: Date;
  finished_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: Date;
  /** Null until the attempt's outcome is known (and for ever if its worker died). */
  duration_ms: number | null;
  status_code: number | null;
  error: string | null;
}

export interface WebhookSchema {
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
