/**
 * Keeps the autoscaler from terminating an instance that is building (EC2 Auto Scaling scale-in protection).
 * The runner protects while at least one build runs and unprotects when the last one ends.
 */
export interface InstanceProtection {
  protect(): Promise<void>;
  unprotect(): Promise<void>;
}

/** Where nothing scales in underneath us (local mode, stand-ins). */
export const noInstanceProtection: InstanceProtection = {
  protect: async () => {},
  unprotect: async () => {},
};
