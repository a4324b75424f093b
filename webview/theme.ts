// Colours and fonts for canvas drawing, read from VS Code's theme variables and
// re-read when the theme changes (VS Code swaps the body's class).

export interface Theme {
  foreground: string;
  muted: string;
  background: string;
  border: string;
  focus: string;
  highlight: string;
  highlightFill: string;
  nonFinite: string;
  fontFamily: string;
  kind: 'light' | 'dark' | 'high-contrast';
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const cls = document.body.classList;
  const kind = cls.contains('vscode-high-contrast') || cls.contains('vscode-high-contrast-light') ? 'high-contrast' : cls.contains('vscode-light') ? 'light' : 'dark';
  return {
    foreground: cssVar(s, '--vscode-editor-foreground', kind === 'light' ? '#1f1f1f' : '#cccccc'),
    muted: cssVar(s, '--vscode-descriptionForeground', '#888888'),
    background: cssVar(s, '--vscode-editor-background', kind === 'light' ? '#ffffff' : '#1e1e1e'),
    border: cssVar(s, '--vscode-editorWidget-border', kind === 'light' ? '#c8c8c8' : '#454545'),
    focus: cssVar(s, '--vscode-focusBorder', '#007fd4'),
    highlight: cssVar(s, '--vscode-editorWarning-foreground', '#ffcc00'),
    highlightFill: kind === 'light' ? 'rgba(255, 170, 0, 0.28)' : 'rgba(255, 204, 0, 0.26)',
    nonFinite: cssVar(s, '--vscode-errorForeground', '#f14c4c'),
    fontFamily: cssVar(s, '--vscode-editor-font-family', 'monospace'),
    kind,
  };
}

export function onThemeChange(listener: () => void): void {
  new MutationObserver(listener).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
