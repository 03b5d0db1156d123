// The packed bpmnlint configuration (config + resolver) bpmn-js-bpmnlint expects: our rules,
// resolved statically so nothing is fetched or evaluated at run time.
import {
  gatewayConditions, timerExpression, userTaskForm, userTaskInRoleLane
} from './rules.js';

const RULES = {
  'user-task-in-role-lane': userTaskInRoleLane,
  'user-task-form': userTaskForm,
  'timer-expression': timerExpression,
  'gateway-conditions': gatewayConditions
};

export function lintConfig(roles) {
  const cache = {};
  const rules = {};
  for (const [name, factory] of Object.entries(RULES)) {
    cache[`rule:bpmnlint-plugin-ketenflow/${name}`] = factory;
    rules[`ketenflow/${name}`] = ['error', { roles }];
  }
  return {
    config: { rules },
    resolver: {
      resolveRule(pkg, name) {
        const rule = cache[`rule:${pkg}/${name}`];
        if (!rule) {
          throw new Error(`unknown rule <${pkg}/${name}>`);
        }
        return rule;
      },
      resolveConfig(pkg, name) {
        throw new Error(`unknown config <${pkg}/${name}>`);
      }
    }
  };
}
