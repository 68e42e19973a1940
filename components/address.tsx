/** A wallet or contract address, shortened for reading with the full value on hover. */
export function Address({ value }: { value: string }) {
  return (
    <span title={value} className="font-mono">
      {value.slice(0, 6)}…{value.slice(-4)}
    </span>
  );
}
