/**
 * A PostCSS step for the UI's build: drops the PatternFly rules the UI can never match — those of the themes it never
 * turns on (dark, high contrast, felt, glass: ~180 KB of the 1 MB stylesheet) and of the pficon icon font (the UI
 * uses SVG icons) — so the browser parses less before the first paint.
 */
import type { AtRule, Container, Plugin, Rule } from 'postcss';

const UNUSED_THEME = /\.pf-v6-theme-(?:dark|high-contrast|felt|glass|redhat)\b/;
const NEGATED_THEME = /:not\(\.pf-v6-theme-[a-z-]+\)/g;
const ICON_FONT = /\.pf-v6-pficon-/;

/** A selector that needs a theme class the UI never sets (`:not(.theme)` always holds, so it does not count). */
export function isUnreachableSelector(selector: string): boolean {
  const positive = selector.replace(NEGATED_THEME, '');
  return UNUSED_THEME.test(positive) || ICON_FONT.test(positive);
}

function dropEmptyParents(node: Container | undefined): void {
  while (node && node.type === 'atrule' && !(node as AtRule).nodes?.length) {
    const parent = node.parent as Container | undefined;
    node.remove();
    node = parent;
  }
}

export function trimUnusedPatternFlyCss(): Plugin {
  return {
    postcssPlugin: 'ibs-trim-unused-patternfly-css',
    Once(root) {
      root.walkRules((rule: Rule) => {
        if (rule.parent?.type === 'atrule' && /keyframes$/.test((rule.parent as AtRule).name)) return;
        const kept = rule.selectors.filter((s) => !isUnreachableSelector(s));
        if (kept.length === rule.selectors.length) return;
        if (kept.length) {
          rule.selectors = kept;
          return;
        }
        const parent = rule.parent as Container | undefined;
        rule.remove();
        dropEmptyParents(parent);
      });
    },
  };
}
