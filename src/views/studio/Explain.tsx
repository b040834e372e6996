import { GLOSSARY, type Term } from './glossary';

/**
 * A label that opens its explanation in place (a <details>, so it works without JavaScript tricks or focus traps).
 * A <details> is block content: text around an Explain goes in a <div>, never a <p> (React reports the nesting).
 */
export function Explain({ term, children }: { term: Term; children?: React.ReactNode }) {
  const entry = GLOSSARY[term];
  return (
    <details className="explain" data-term={term}>
      <summary>
        {children ?? entry.title}
        <span className="explain-mark" aria-hidden="true">
          ?
        </span>
      </summary>
      <div className="explain-pop" role="note">
        <strong>{entry.title}.</strong> {entry.text}
      </div>
    </details>
  );
}
