// A list that renders only the rows in view (plus a margin), so that 100,000 log lines scroll like
// 100. Rows have one fixed height. With `follow`, the list stays at the bottom as rows are added,
// until the person scrolls up.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

interface Props<T> {
  items: T[];
  rowHeight: number;
  render: (item: T, index: number) => ComponentChildren;
  follow?: boolean;
  onFollowChange?: (following: boolean) => void;
  class?: string;
  label: string;
  empty?: ComponentChildren;
}

export function VirtualList<T>({ items, rowHeight, render, follow, onFollowChange, class: className, label, empty }: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const following = useRef(true);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = box.current;
    if (follow && following.current && element) {
      element.scrollTop = element.scrollHeight;
      setScrollTop(element.scrollTop);
    }
  }, [items.length, follow]);

  const onScroll = () => {
    const element = box.current!;
    setScrollTop(element.scrollTop);
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < rowHeight * 2;
    if (atBottom !== following.current) {
      following.current = atBottom;
      onFollowChange?.(atBottom);
    }
  };

  const margin = 10;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - margin);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + margin);
  const rows = [];
  for (let i = first; i < last; i++)
    rows.push(<div class="vrow" role="row" style={{ top: i * rowHeight, height: rowHeight }} key={i}>{render(items[i], i)}</div>);
  return (
    <div class={`vlist ${className ?? ''}`} ref={box} onScroll={onScroll} role="table" aria-label={label} aria-rowcount={items.length} tabIndex={0}>
      {items.length === 0 && empty ? <div class="empty">{empty}</div> : null}
      <div class="vspace" style={{ height: items.length * rowHeight }}>{rows}</div>
    </div>
  );
}
