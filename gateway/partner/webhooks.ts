import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  updateWebhookEndpoint,
  type WebhookEndpoint,
  WebhookEndpointInputSchema,
  WebhookEndpointPatchSchema,
} from '../../partners/index.ts';
import { eventTypeNames, eventTypes } from '../../platform/index.ts';
import type { PartnerEnv } from '../context.ts';
import { leaseIdempotency } from '../idempotency.ts';
import { json, problems } from '../schemas.ts';
import { IdempotencyHeader } from './counter-schemas.ts';

const tags = ['partner: webhooks'];
const security = [{ partnerSignature: [] }];

const eventList = Object.entries(eventTypes)
  .map(([type, what]) => `\`${type}\`: ${what}`)
  .join(' ');

const WebhookEndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    eventTypes: z.array(z.enum(eventTypeNames)),
    description: z.string(),
    status: z.enum(['active', 'paused']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookEndpoint');

function endpointView(e: WebhookEndpoint): z.infer<typeof WebhookEndpointSchema> {
  return {
    id: e.id,
    url: e.url,
    eventTypes: e.eventTypes as z.infer<typeof WebhookEndpointSchema>['eventTypes'],
    description: e.description,
    status: e.status === 'deleted' ? 'paused' : e.status,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

const EndpointIdParam = z.object({
  endpointId: z.uuid().openapi({ param: { name: 'endpointId', in: 'path' } }),
});

const createEndpointRoute = createRoute({
  method: 'post',
  path: '/webhooks',
  tags,
  summary: 'Register a webhook endpoint for some event types',
  description: `The hub posts each event that concerns you, of the types chosen, to the URL (https), signed with its own key (Hub-Webhook-Signature, verifiable against /.well-known/jwks.json), and retries with backoff until a 2xx answer or the retry window ends. At most 10 endpoints. Event types: ${eventList}`,
  security,
  middleware: [leaseIdempotency] as const,
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: WebhookEndpointInputSchema } } },
  },
  responses: {
    201: json(WebhookEndpointSchema, 'The new endpoint'),
    ...problems,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/webhooks',
  tags,
  summary: 'Your webhook endpoints',
  security,
  responses: {
    200: json(z.object({ endpoints: z.array(WebhookEndpointSchema) }), 'Every endpoint'),
    401: problems[401],
    403: problems[403],
    429: problems[429],
  },
});

const updateRoute = createRoute({
  method: 'patch',
  path: '/webhooks/{endpointId}',
  tags,
  summary: 'Change an endpoint: its URL, event types, description, or pause it',
  description:
    'A paused endpoint gets no deliveries for events that happen while it is paused, and its pending deliveries end as failed (ask for a redelivery once it is active again).',
  security,
  request: {
    params: EndpointIdParam,
    body: { content: { 'application/json': { schema: WebhookEndpointPatchSchema } } },
  },
  responses: {
    200: json(WebhookEndpointSchema, 'The endpoint as changed'),
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/webhooks/{endpointId}',
  tags,
  summary: 'Delete an endpoint',
  description:
    'Nothing more is sent to it. Its deliveries stay listed. Deleting it again changes nothing.',
  security,
  request: { params: EndpointIdParam },
  responses: {
    204: { description: 'Deleted' },
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
  },
});

export function register(app: OpenAPIHono<PartnerEnv>): void {
  app.openapi(createEndpointRoute, async (c) => {
    const services = c.get('services');
    const endpoint = await createWebhookEndpoint(services.db, services.config, {
      partnerId: c.get('partner').id,
      endpoint: c.req.valid('json'),
      now: services.clock.now(),
    });
    return c.json(endpointView(endpoint), 201);
  });
  app.openapi(listRoute, async (c) => {
    const endpoints = await listWebhookEndpoints(c.get('services').db, c.get('partner').id);
    return c.json({ endpoints: endpoints.map(endpointView) }, 200);
  });
  app.openapi(updateRoute, async (c) => {
    const services = c.get('services');
    const endpoint = await updateWebhookEndpoint(services.db, services.config, {
      partnerId: c.get('partner').id,
      endpointId: c.req.valid('param').endpointId,
      patch: c.req.valid('json'),
      now: services.clock.now(),
    });
    return c.json(endpointView(endpoint), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const services = c.get('services');
    await deleteWebhookEndpoint(services.db, {
      partnerId: c.get('partner').id,
      endpointId: c.req.valid('param').endpointId,
      now: services.clock.now(),
    });
    return c.body(null, 204);
  });
}
