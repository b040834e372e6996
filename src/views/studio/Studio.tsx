// Placeholder: the studio (EP and iEP side by side) lands here.
export function Studio() {
  return <section aria-label="studio" />;
}
