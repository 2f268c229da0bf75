import { noChange, type AttributePart } from 'lit';
import { Directive, directive, PartType, type PartInfo } from 'lit/directive.js';

/**
 * Sets inline styles through the CSSOM, never through a `style` attribute, so that the elements
 * run on pages whose Content-Security-Policy has no `'unsafe-inline'` for styles. (Lit's own
 * `styleMap` writes the attribute on its first render, which such a policy blocks.)
 *
 * `<div style=${cssProps({ height: '40px' })}>`; an undefined value removes the property.
 */
class CssPropsDirective extends Directive {
  private previous = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ATTRIBUTE || part.name !== 'style')
      throw new Error('cssProps() goes in a style attribute');
  }

  render(_props: Readonly<Record<string, string | undefined>>): typeof noChange {
    return noChange;
  }

  override update(part: AttributePart, [props]: [Readonly<Record<string, string | undefined>>]): typeof noChange {
    const style = part.element.style;
    for (const name of this.previous) if (props[name] === undefined) style.removeProperty(name);
    this.previous = new Set();
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined) continue;
      style.setProperty(name, value);
      this.previous.add(name);
    }
    return noChange;
  }
}

export const cssProps = directive(CssPropsDirective);
