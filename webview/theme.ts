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
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
}

/** Dark marks on a light page (light and high-contrast light themes). */
export function isLight(theme: Pick<Theme, 'kind'>): boolean {
  return theme.kind === 'light' || theme.kind === 'high-contrast-light';
}

/** High contrast (dark or light): marks drawn solid and in the theme's contrast colours. */
export function isHighContrast(theme: Pick<Theme, 'kind'>): boolean {
  return theme.kind === 'high-contrast' || theme.kind === 'high-contrast-light';
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const cls = document.body.classList;
  const kind = cls.contains('vscode-high-contrast-light') ? 'high-contrast-light' : cls.contains('vscode-high-contrast') ? 'high-contrast' : cls.contains('vscode-light') ? 'light' : 'dark';
  const light = isLight({ kind });
  // High contrast themes name their own border and focus colours: the canvas uses those.
  const contrast = isHighContrast({ kind });
  return {
    foreground: cssVar(s, '--vscode-editor-foreground', light ? '#1f1f1f' : '#cccccc'),
    muted: cssVar(s, '--vscode-descriptionForeground', '#888888'),
    background: cssVar(s, '--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    border: (contrast && cssVar(s, '--vscode-contrastBorder', '')) || cssVar(s, '--vscode-editorWidget-border', light ? '#c8c8c8' : '#454545'),
    focus: (contrast && cssVar(s, '--vscode-contrastActiveBorder', '')) || cssVar(s, '--vscode-focusBorder', '#007fd4'),
    highlight: cssVar(s, '--vscode-editorWarning-foreground', '#ffcc00'),
    highlightFill: light ? 'rgba(255, 170, 0, 0.28)' : 'rgba(255, 204, 0, 0.26)',
    nonFinite: cssVar(s, '--vscode-errorForeground', '#f14c4c'),
    fontFamily: cssVar(s, '--vscode-editor-font-family', 'monospace'),
    kind,
  };
}

export function onThemeChange(listener: () => void): void {
  new MutationObserver(listener).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
