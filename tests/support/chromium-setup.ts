import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium: the browser the end-to-end tests drive (never a downloaded one). */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Makes sure Chromium is there before any browser test starts: once per run, here rather
 * than in each test file, so that two files never run apt-get at once. As root on a machine
 * without it (a fresh CI machine), it is installed from Debian's packages; otherwise the
 * browser tests fail with the one command that installs it.
 */
export function setup(): void {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() !== 0) {
    console.warn(`browser tests need ${chromiumPath}: run  sudo apt-get install -y chromium`);
    return;
  }
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt('update');
  apt('install', '-y', 'chromium');
}
