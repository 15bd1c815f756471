import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger, type LogLevel } from '#observability/logger.ts';

const capture = (level: LogLevel) => {
  const lines: string[] = [];
  const logger = new Logger({ level, sink: (line) => lines.push(line) });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
};

const context = { functionName: 'credential-quota-dev-registry', awsRequestId: 'req-1' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the structured logger', () => {
  it('writes one JSON line per record, with the fields Powertools wrote and the invocation it belongs to', () => {
    const { logger, lines, records } = capture('INFO');
    logger.addContext(context);
    logger.warn('request refused', { status: 401, reason: 'expired' });
    logger.addContext({ ...context, awsRequestId: 'req-2' });
    logger.info('second');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second] = records();
    expect(first).toEqual({
      level: 'WARN',
      message: 'request refused',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'credential-quota',
      cold_start: true,
      function_name: context.functionName,
      function_request_id: 'req-1',
      status: 401,
      reason: 'expired',
    });
    expect(second).toMatchObject({ level: 'INFO', cold_start: false, function_request_id: 'req-2' });
  });

  it('writes nothing below its level, and nothing at all when SILENT', () => {
    const info = capture('WARN');
    info.logger.debug('d');
    info.logger.info('i');
    info.logger.warn('w');
    info.logger.error('e');
    expect(info.records().map((record) => record.level)).toEqual(['WARN', 'ERROR']);
    const silent = capture('SILENT');
    silent.logger.error('e');
    expect(silent.lines).toEqual([]);
  });

  it('writes WARN and ERROR to stderr and the rest to stdout, so a command printing its result on stdout keeps it clean', () => {
    const written = { stdout: [] as string[], stderr: [] as string[] };
    for (const stream of ['stdout', 'stderr'] as const)
      vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
        written[stream].push(String(chunk));
        return true;
      });
    const logger = new Logger({ level: 'DEBUG' });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) logger[level](level);
    const messages = (lines: string[]) => lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages(written.stdout)).toEqual(['debug', 'info']);
    expect(messages(written.stderr)).toEqual(['warn', 'error']);
  });

  it('keeps an error readable: name, message, stack, its own fields and its cause', () => {
    const { logger, records } = capture('DEBUG');
    const cause = Object.assign(new Error('throttled'), { name: 'ThrottlingException', $fault: 'client' });
    logger.error('dynamodb unavailable after retries', { error: new Error('gave up', { cause }) });
    const [record] = records();
    expect(record?.error).toMatchObject({
      name: 'Error',
      message: 'gave up',
      stack: expect.stringContaining('gave up'),
      cause: { name: 'ThrottlingException', message: 'throttled', $fault: 'client' },
    });
  });
});
