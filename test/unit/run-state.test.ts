import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDataDir, readRunState, runStateFile } from '#local/run-state.ts';

const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-state-'));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// A pid that is certainly gone: a process that has already exited and been reaped.
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
};

// Another live process: the one that started this test run.
const livePid = process.ppid;

describe('the claim on a data folder', () => {
  it('is this process’s alone: its file names the run and where its DynamoDB is, and goes on release', async () => {
    const dataDir = join(folder(), 'data');
    const claim = await claimDataDir({ dataDir, command: 'npm start', transient: false });
    claim.update({ dynamodbEndpoint: 'http://127.0.0.1:8123', tableName: 't', base: 'http://127.0.0.1:3917' });
    expect(readRunState(dataDir)).toEqual({
      pid: process.pid,
      command: 'npm start',
      transient: false,
      dynamodbEndpoint: 'http://127.0.0.1:8123',
      tableName: 't',
      base: 'http://127.0.0.1:3917',
    });
    claim.release();
    expect(existsSync(runStateFile(dataDir))).toBe(false);
    expect(readRunState(dataDir)).toBeUndefined();
  });

  it('is refused while a live npm start holds the folder, naming it and the fix', async () => {
    const dataDir = folder();
    const held = { pid: livePid, command: 'npm start', transient: false, base: 'http://127.0.0.1:3917' };
    writeFileSync(runStateFile(dataDir), JSON.stringify(held));
    await expect(claimDataDir({ dataDir, command: 'npm start', transient: false })).rejects.toThrow(
      `DATA_DIR=${dataDir} is in use by npm start (pid ${livePid}, API http://127.0.0.1:3917): stop it, or set DATA_DIR to another folder`,
    );
    // The holder's file is left as it was.
    expect(JSON.parse(readFileSync(runStateFile(dataDir), 'utf8'))).toEqual(held);
  });

  it('waits for a script that holds the folder to let go, then takes it', async () => {
    const dataDir = folder();
    const first = await claimDataDir({ dataDir, command: 'npm run invoke', transient: true });
    // The file names this process, so the second claim sees a live script and waits for it.
    const second = claimDataDir({ dataDir, command: 'npm run access-key', transient: true, waitMs: 30_000 });
    let settled = false;
    void second.then(() => {
      settled = true;
    });
    await new Promise((done) => setTimeout(done, 500));
    expect(settled).toBe(false);
    first.release();
    const claim = await second;
    expect(readRunState(dataDir)?.command).toBe('npm run access-key');
    claim.release();
  });

  it('takes over the file of a run that was killed (its pid is gone)', async () => {
    const dataDir = folder();
    writeFileSync(runStateFile(dataDir), JSON.stringify({ pid: deadPid(), command: 'npm start', transient: false }));
    expect(readRunState(dataDir)).toBeUndefined();
    const claim = await claimDataDir({ dataDir, command: 'npm start', transient: false });
    expect(readRunState(dataDir)?.pid).toBe(process.pid);
    claim.release();
  });

  it('counts a file being written (empty, young) as held, and an old unreadable one as a leftover', () => {
    const dataDir = folder();
    writeFileSync(runStateFile(dataDir), '');
    expect(readRunState(dataDir)).toMatchObject({ transient: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(runStateFile(dataDir), old, old);
    expect(readRunState(dataDir)).toBeUndefined();
  });

  it('release leaves a file another process wrote meanwhile', async () => {
    const dataDir = folder();
    const claim = await claimDataDir({ dataDir, command: 'npm start', transient: false });
    writeFileSync(runStateFile(dataDir), JSON.stringify({ pid: livePid, command: 'npm start', transient: false }));
    claim.release();
    expect(readRunState(dataDir)?.pid).toBe(livePid);
  });
});
