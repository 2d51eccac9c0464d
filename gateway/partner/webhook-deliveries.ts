import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  getWebhookDelivery,
  listWebhookDeliveries,
  redeliverWebhook,
  type WebhookDeliveryView,
} from '../../partners/index.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { json, problems } from '../schemas.ts';
import { IdempotencyHeader } from './counter-schemas.ts';

const tags = ['partner: webhooks'];
const security = [{ partnerSignature: [] }];

const DeliverySchema = z
  .object({
    id: z.uuid(),
    endpointId: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    createdAt: z.string(),
    nextAttemptAt: z.string().nullable().openapi({ description: 'When pending' }),
    finishedAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().openapi({ description: "The endpoint's last answer" }),
    lastError: z.string().nullable(),
    redeliveryOf: z.uuid().nullable(),
  })
  .openapi('WebhookDelivery');

function deliveryView(d: WebhookDeliveryView): z.infer<typeof DeliverySchema> {
  return {
    ...d,
    createdAt: d.createdAt.toISOString(),
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
  };
}

const DeliveryIdParam = z.object({
  deliveryId: z.uuid().openapi({ param: { name: 'deliveryId', in: 'path' } }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/webhook-deliveries',
  tags,
  summary: 'Your webhook deliveries, newest first',
  description: 'Page on with `before`: the id of the last delivery of the previous page.',
  security,
  request: {
    query: z.object({
      endpointId: z.uuid().optional(),
      eventId: z.uuid().optional(),
      status: z.enum(['pending', 'delivered', 'failed']).optional(),
      before: z.uuid().optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: json(z.object({ deliveries: z.array(DeliverySchema) }), 'A page of deliveries'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/webhook-deliveries/{deliveryId}',
  tags,
  summary: 'One delivery: the body it sends and every attempt',
  security,
  request: { params: DeliveryIdParam },
  responses: {
    200: json(
      DeliverySchema.extend({
        body: z.string().openapi({ description: 'The exact bytes every attempt sends' }),
        attemptLog: z.array(
          z.object({
            attempt: z.number().int(),
            startedAt: z.string(),
            durationMs: z.number().int().nullable().openapi({
              description: 'Null while running, or if the attempt stopped with its worker',
            }),
            statusCode: z.number().int().nullable(),
            error: z.string().nullable(),
          }),
        ),
      }),
      'The delivery',
    ),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
  },
});

const redeliverRoute = createRoute({
  method: 'post',
  path: '/webhook-deliveries/{deliveryId}/redeliver',
  tags,
  summary: 'Send a delivery’s event to its endpoint again',
  description:
    'A new delivery of the same event and body, with its own retries; the endpoint must be active.',
  security,
  middleware: [leaseIdempotency] as const,
  request: { params: DeliveryIdParam, headers: IdempotencyHeader },
  responses: {
    201: json(DeliverySchema, 'The new delivery'),
    ...problems,
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(listRoute, async (c) => {
    const deliveries = await listWebhookDeliveries(c.get('services').db, {
      ...c.req.valid('query'),
      partnerId: c.get('partner').id,
    });
    return c.json({ deliveries: deliveries.map(deliveryView) }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const delivery = await getWebhookDelivery(
      c.get('services').db,
      c.get('partner').id,
      c.req.valid('param').deliveryId,
    );
    return c.json(
      {
        ...deliveryView(delivery),
        body: delivery.body,
        attemptLog: delivery.attemptLog.map((a) => ({
          ...a,
          startedAt: a.startedAt.toISOString(),
        })),
      },
      200,
    );
  });
  app.openapi(redeliverRoute, async (c) => {
    const services = c.get('services');
    const delivery = await redeliverWebhook(services.db, services.config, {
      partnerId: c.get('partner').id,
      deliveryId: c.req.valid('param').deliveryId,
      now: services.clock.now(),
    });
    return c.json(deliveryView(delivery), 201);
  });
}
