import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionVerification } from '../clerk/session.js';
import { clerkUserId } from '../clerk/events.js';
import { resolveTenant, type TenantHandle, type TenantRouter } from '../tenant-router/index.js';

type ErrorCode = 'invalid_request' | 'invalid_user_id' | 'forbidden' | 'not_found';

function fail(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

const newNote = z.strictObject({
  title: z.string().trim().min(1, { message: 'is required' }).max(200, { message: 'must be at most 200 characters' }),
});
const noteId = z.string().regex(/^[1-9][0-9]{0,17}$/);

interface NoteRow {
  id: string;
  title: string;
  created_at: Date;
}

const noteJson = (row: NoteRow) => ({ id: row.id, title: row.title, createdAt: row.created_at.toISOString() });

/** The database the notes live in, shown next to them. */
const databaseJson = (tenant: TenantHandle) => ({
  provider: tenant.database.provider,
  name: tenant.database.name,
  region: tenant.database.region,
});

const NOTES = '/api/users/:userId/notes';

/**
 * The demo's notes, `/api/users/:userId/notes`: kept in the `notes` table of the signed-in user's own database,
 * reached through the tenant router as the tenant's own role. The session decides the database; a path naming
 * another user is refused (403). No query names a user: the database is the boundary.
 */
export function notesRouter(tenants: TenantRouter, verify: SessionVerification): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '4kb', type: 'application/json' });

  // resolveTenant answers 401 / 409 database_not_ready / 503 as the tenant middleware does.
  router.use(NOTES, (req: Request, res: Response, next: NextFunction) => {
    resolveTenant(tenants, req, verify).then((resolution) => {
      if (!resolution.ok) return void res.status(resolution.status).set(resolution.headers).json(resolution.body);
      const userId = clerkUserId.safeParse(req.params.userId);
      if (!userId.success) return fail(res, 400, 'invalid_user_id', 'userId must be a Clerk user id (user_…)');
      if (userId.data !== resolution.userId) {
        return fail(res, 403, 'forbidden', "A session may use only its own user's notes");
      }
      req.tenant = resolution.tenant;
      next();
    }, next);
  });

  router.get(NOTES, async (req: Request, res: Response) => {
    const tenant = req.tenant!;
    const { rows } = await tenant.query<NoteRow>(
      'SELECT id::text AS id, title, created_at FROM notes ORDER BY created_at DESC, id DESC LIMIT 100',
    );
    res.json({ database: databaseJson(tenant), notes: rows.map(noteJson) });
  });

  router.post(NOTES, json, async (req: Request, res: Response) => {
    const body = newNote.safeParse(req.body);
    if (!body.success) {
      const problems = body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      return fail(res, 400, 'invalid_request', problems.join('; '));
    }
    const tenant = req.tenant!;
    const { rows } = await tenant.query<NoteRow>(
      'INSERT INTO notes (title) VALUES ($1) RETURNING id::text AS id, title, created_at',
      [body.data.title],
    );
    res.status(201).json({ database: databaseJson(tenant), note: noteJson(rows[0]!) });
  });

  router.delete(`${NOTES}/:noteId`, async (req: Request, res: Response) => {
    const id = noteId.safeParse(req.params.noteId);
    if (!id.success) return fail(res, 400, 'invalid_request', 'noteId must be a note id (a whole number)');
    const { rowCount } = await req.tenant!.query('DELETE FROM notes WHERE id = $1', [id.data]);
    if (rowCount === 0) return fail(res, 404, 'not_found', `No note ${id.data} in your database`);
    res.json({ id: id.data, deleted: true });
  });

  return router;
}
