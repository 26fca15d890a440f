// osls plugin (serverless.yml `plugins`): serverless.yml's parameter defaults let `npx osls package` run with no
// parameters, and this check keeps them from reaching AWS: a deploy with the `.invalid` JWT placeholders would create
// an API that refuses every token, and a runner VPC without subnets (or subnets without their VPC) cannot launch.
// CommonJS because osls require()s its plugins.
'use strict';

/** True for the placeholders of serverless.yml: a name under the reserved `.invalid` domain (RFC 2606). */
const isPlaceholder = (value) => /\.invalid(?=[/:]|$)/i.test(value);

/**
 * The problems of the resolved `custom.jwt` and `custom.runnerNetwork` for a command (`['package']`, `['deploy']`):
 * half a runner network is wrong for every command, the JWT placeholders only for a stack deploy.
 */
function findParamProblems({ jwt, runnerNetwork }, commands) {
  const problems = [];
  if (Boolean(runnerNetwork.vpcId) !== Boolean(runnerNetwork.subnets)) {
    problems.push('runnerVpcId and runnerSubnets go together: set both (a VPC and subnets of it) or neither (the default VPC)');
  }
  const deploysStack = commands[0] === 'deploy' && commands.length === 1;
  if (deploysStack) {
    for (const [name, value] of [['jwtIssuerUrl', jwt.issuerUrl], ['jwtAudience', jwt.audience]]) {
      if (isPlaceholder(String(value))) problems.push(`${name} is the placeholder "${value}": pass --param="${name}=..." (docs/aws.md)`);
    }
  }
  return problems;
}

class CheckParams {
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        const problems = findParamProblems(serverless.service.custom, serverless.processedInput.commands);
        if (problems.length > 0) throw new serverless.classes.Error(problems.join('\n'), 'IBS_DEPLOYMENT_PARAMS');
      },
    };
  }
}

module.exports = CheckParams;
module.exports.findParamProblems = findParamProblems;
