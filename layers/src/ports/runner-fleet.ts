/** The runner fleet port: groups of runner instances per architecture that the scaler sizes. */
/** One architecture's runner group (an EC2 Auto Scaling group on AWS). */
export interface RunnerGroup {
  architecture: string;
  name: string;
  desired: number;
  min: number;
  max: number;
  instances: { id: string; lifecycleState: string; protectedFromScaleIn: boolean }[];
}

/** The runner fleet as the scaler sees it; AutoScalingRunnerFleet implements it on AWS. */
export interface RunnerFleet {
  describe(architectures: readonly string[]): Promise<RunnerGroup[]>;
  /** `scaleIn` lets the implementation respect cooldowns when shrinking. */
  setDesired(group: RunnerGroup, desired: number, options: { scaleIn: boolean }): Promise<void>;
}
