// A value from a request (origin, route, header value) as text: visibly clipped when long, the full value
// in the title. React renders it as a text node, so markup in it stays text.
import { clipText, visibleText } from '../lib/clip-text';

export function Clipped({
  text,
  max,
  className,
}: {
  readonly text: string;
  readonly max: number;
  readonly className?: string;
}) {
  const visible = visibleText(text);
  const shown = clipText(visible, max);
  return (
    <code className={className} title={shown === visible ? undefined : visible}>
      {shown}
    </code>
  );
}
