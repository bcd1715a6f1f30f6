import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine.ts';
import type { Authenticator } from '../auth.ts';
import { parse } from '../validate.ts';
import { TagName } from '../../modules/tags/index.ts';
import { createTagRule, dropTagRule, listTagRules, tagCounts, tagProfile, tagsOfProfile, untagProfile } from '../../flows/tags.ts';

const ProfileParams = z.object({ profileId: z.string().min(1).max(200) });
const TagParams = z.object({ profileId: z.string().min(1).max(200), tag: TagName });
const TagBody = z.strictObject({ tag: TagName });
const RuleBody = z.strictObject({ tag: TagName, segmentId: z.string().min(1).max(100) });

/** Manual and rule tags over the server API (docs/segments.md, "Tags"). */
export function tagRoutes(app: FastifyInstance, engine: Engine, auth: Authenticator) {
  const { op, es } = engine;
  const ws = (req: FastifyRequest) => req.ctx!.workspaceId;
  /** Who did it: `key:<keyId>` for a secret key, `user:<email>` for a console user. */
  const who = (req: FastifyRequest) => {
    const a = req.ctx!.actor;
    return a.kind === 'user' ? `user:${a.email ?? a.id}` : `key:${a.id}`;
  };

  app.register(async (api) => {
    api.addHook('preHandler', async (req) => {
      req.ctx = await auth.server(req);
    });

    api.get('/api/v1/users/:profileId/tags', async (req) => {
      const { profileId } = parse(ProfileParams, req.params, 'params');
      return tagsOfProfile(op, es, ws(req), profileId);
    });

    /** Adds a manual tag: 201 when new, 200 when the person already had it (first who / when kept). */
    api.post('/api/v1/users/:profileId/tags', async (req, reply) => {
      const { profileId } = parse(ProfileParams, req.params, 'params');
      const { tag } = parse(TagBody, req.body, 'body');
      const r = await tagProfile(op, ws(req), profileId, tag, who(req));
      return reply.code(r.created ? 201 : 200).send({ profileId: r.profileId, tag: r.tag });
    });

    /** Removes a manual tag (`DELETE …/tags/<tag>`, or `DELETE …/tags` with `{ "tag" }`). */
    api.delete('/api/v1/users/:profileId/tags/:tag', async (req, reply) => {
      const { profileId, tag } = parse(TagParams, req.params, 'params');
      await untagProfile(op, ws(req), profileId, tag);
      return reply.code(204).send();
    });
    api.delete('/api/v1/users/:profileId/tags', async (req, reply) => {
      const { profileId } = parse(ProfileParams, req.params, 'params');
      const { tag } = parse(TagBody, req.body, 'body');
      await untagProfile(op, ws(req), profileId, tag);
      return reply.code(204).send();
    });

    /** Every tag with its counts (manual, and by rule: the segment's current size). */
    api.get('/api/v1/tags', async (req) => ({ tags: await tagCounts(op, es, ws(req)) }));

    api.get('/api/v1/tags/rules', async (req) => ({ rules: await listTagRules(op, ws(req)) }));
    api.post('/api/v1/tags/rules', async (req, reply) => {
      const { tag, segmentId } = parse(RuleBody, req.body, 'body');
      return reply.code(201).send(await createTagRule(op, ws(req), tag, segmentId, who(req)));
    });
    api.delete('/api/v1/tags/rules/:tag', async (req, reply) => {
      const { tag } = parse(z.object({ tag: TagName }), req.params, 'params');
      await dropTagRule(op, ws(req), tag);
      return reply.code(204).send();
    });
  });
}
