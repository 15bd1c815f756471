import { describe, expect, it } from 'vitest';
import { isActionGranted } from '#lib/auth/permissions.ts';

describe('action grants', () => {
  it('grants an exactly named action', () => {
    expect(isActionGranted(['apig:app:get'], 'apig:app:get')).toBe(true);
  });

  it('refuses an action that is not granted', () => {
    expect(isActionGranted(['apig:app:get'], 'apig:app:delete')).toBe(false);
    expect(isActionGranted([], 'apig:app:get')).toBe(false);
  });

  it('lets * match any run of characters, across colons', () => {
    expect(isActionGranted(['apig:*'], 'apig:clientQuota:bindApp')).toBe(true);
    expect(isActionGranted(['apig:clientQuota:*'], 'apig:clientQuota:bindApp')).toBe(true);
    expect(isActionGranted(['apig:clientQuota:*'], 'apig:app:get')).toBe(false);
    expect(isActionGranted(['*'], 'apig:instance:create')).toBe(true);
    expect(isActionGranted(['apig:*:get'], 'apig:clientQuota:get')).toBe(true);
  });

  it('treats other regular-expression characters literally', () => {
    expect(isActionGranted(['apig.app.get'], 'apig:app:get')).toBe(false);
    expect(isActionGranted(['apig:app:(get|list)'], 'apig:app:get')).toBe(false);
  });

  it('anchors patterns at both ends', () => {
    expect(isActionGranted(['app:get'], 'apig:app:get')).toBe(false);
    expect(isActionGranted(['apig:app'], 'apig:app:get')).toBe(false);
  });
});
