export const ORACLE_NAMES = ['unsquashfs', 'sqfsdiff', 'rdsquashfs', '7zz', 'kernel', 'reader'] as const;
export type OracleName = (typeof ORACLE_NAMES)[number];

/** One way an image differs from the tree it was written from. */
export interface Difference {
  oracle: OracleName;
  /** Tree path ("" is the root), when the difference is about one entry. */
  path?: string;
  message: string;
}

export interface OracleResult {
  oracle: OracleName;
  /** 'unavailable' means the tool (or the kernel's loop mount) is missing: neither pass nor fail. */
  status: 'pass' | 'fail' | 'unavailable';
  /** Why the oracle was unavailable. */
  reason?: string;
  differences: Difference[];
}

export interface CheckReport {
  /** Every difference from every oracle that ran; empty means the image passed. */
  differences: Difference[];
  results: OracleResult[];
  /** Oracles that could not run here, with the reason. */
  unavailable: { oracle: OracleName; reason: string }[];
}

/** Collects differences, keeping the report readable when everything differs. */
export class DiffCollector {
  readonly differences: Difference[] = [];
  readonly oracle: OracleName;
  private readonly limit: number;
  private dropped = 0;

  constructor(oracle: OracleName, limit = 200) {
    this.oracle = oracle;
    this.limit = limit;
  }

  add(path: string | undefined, message: string): void {
    if (this.differences.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.differences.push(path === undefined ? { oracle: this.oracle, message } : { oracle: this.oracle, path, message });
  }

  /** Compares two printable values; records a difference when they are not equal. */
  same(path: string, field: string, expected: unknown, actual: unknown): void {
    if (expected !== actual) this.add(path, `${field}: expected ${fmt(expected)}, got ${fmt(actual)}`);
  }

  result(): OracleResult {
    const differences = [...this.differences];
    if (this.dropped > 0) differences.push({ oracle: this.oracle, message: `... and ${this.dropped} more differences` });
    return { oracle: this.oracle, status: differences.length === 0 ? 'pass' : 'fail', differences };
  }
}

function fmt(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A one-line-per-difference rendering of a report (for assertion messages). */
export function formatReport(report: CheckReport): string {
  const lines = report.differences.map((d) => `[${d.oracle}] ${d.path === undefined ? '' : `${JSON.stringify(d.path)}: `}${d.message}`);
  for (const u of report.unavailable) lines.push(`[${u.oracle}] unavailable: ${u.reason}`);
  return lines.join('\n');
}
