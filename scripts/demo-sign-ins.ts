/**
 * The demo's sign-ins for the pages: two finance users (the four-eyes rule needs two), an
 * operator, and a portal user per demo partner. Staff sign in with API tokens, which the hub
 * keeps only as hashes, so they are written once to .data/demo-sign-ins.txt (git-ignored,
 * this checkout only) for the start banner; a missing file gets fresh tokens. Portal users of
 * the demo have fixed passwords: demo mode runs on loopback only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createStaff, issueStaffToken } from '../gateway/index.ts';
import { createPartnerUser } from '../partners/index.ts';
import type { Services } from '../platform/index.ts';

const demoStaff = [
  { name: 'demo-finance-ana', role: 'finance' },
  { name: 'demo-finance-bo', role: 'finance' },
  { name: 'demo-admin', role: 'admin' },
] as const;

export const demoSignInsFile = new URL('../.data/demo-sign-ins.txt', import.meta.url);

async function staffLines(services: Services): Promise<string[]> {
  const { db } = services;
  const lines: string[] = [];
  for (const s of demoStaff) {
    const existing = await db
      .selectFrom('staff')
      .select('id')
      .where('name', '=', s.name)
      .executeTakeFirst();
    const token = existing
      ? await issueStaffToken(db, existing.id)
      : (await createStaff(db, s)).token;
    lines.push(`${s.role.padEnd(8)} ${s.name.padEnd(18)} token ${token}`);
  }
  return lines;
}

async function portalLines(services: Services): Promise<string[]> {
  const { db } = services;
  const partners = await db.selectFrom('partners').select(['id', 'code']).orderBy('code').execute();
  const lines: string[] = [];
  for (const p of partners) {
    const username = `${p.code}-finance`;
    const password = `demo-${p.code}`;
    const exists = await db
      .selectFrom('partner_users')
      .select('id')
      .where('username', '=', username)
      .executeTakeFirst();
    if (!exists) await createPartnerUser(db, { partnerId: p.id, username, password });
    lines.push(`portal   ${username.padEnd(26)} password ${password}`);
  }
  return lines;
}

/**
 * Creates what is missing and returns the lines the start banner prints. Staff tokens are kept
 * from the file while every demo staff member still exists; else all get new ones.
 */
export async function seedDemoSignIns(services: Services): Promise<string[]> {
  const names = demoStaff.map((s) => s.name);
  const found = await services.db
    .selectFrom('staff')
    .select('name')
    .where('name', 'in', names)
    .execute();
  const kept = existsSync(demoSignInsFile)
    ? readFileSync(demoSignInsFile, 'utf8')
        .split('\n')
        .filter((l) => /^(finance|admin) /.test(l))
    : [];
  const staff =
    found.length === names.length && kept.length === names.length
      ? kept
      : await staffLines(services);
  const lines = [...staff, ...(await portalLines(services))];
  writeFileSync(demoSignInsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  return lines;
}
