// osls plugin (serverless.yml `plugins`): parameters that only make sense together. A JWT issuer without its audience
// (or back) would deploy an API that refuses every token, and its issuer must be an https URL (API Gateway fetches the
// keys from it); both empty is the default, the stack's own Cognito user pool. A runner VPC without subnets (or subnets
// without their VPC) cannot launch. CommonJS because osls require()s its plugins.
'use strict';

/** The problems of the resolved `custom.jwt` and `custom.runnerNetwork` (the same for every command). */
function findParamProblems({ jwt, runnerNetwork }) {
  const problems = [];
  if (Boolean(runnerNetwork.vpcId) !== Boolean(runnerNetwork.subnets)) {
    problems.push('runnerVpcId and runnerSubnets go together: set both (a VPC and subnets of it) or neither (the default VPC)');
  }
  const issuer = String(jwt.issuerUrl ?? '');
  const audience = String(jwt.audience ?? '');
  if (Boolean(issuer) !== Boolean(audience)) {
    problems.push('jwtIssuerUrl and jwtAudience go together: set both (your issuer and its audience) or neither (the stack\'s Cognito user pool)');
  }
  if (issuer && !/^https:\/\/[^/\s]+/.test(issuer)) problems.push(`jwtIssuerUrl must be an https:// URL, got "${issuer}"`);
  return problems;
}

class CheckParams {
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        const problems = findParamProblems(serverless.service.custom);
        if (problems.length > 0) throw new serverless.classes.Error(problems.join('\n'), 'IBS_DEPLOYMENT_PARAMS');
      },
    };
  }
}

module.exports = CheckParams;
module.exports.findParamProblems = findParamProblems;
