/**
 * Fluent Bit's classic configuration format and the parts of its runtime the log pipeline relies on,
 * transcribed from the Fluent Bit sources so the DaemonSet's configuration can be checked without a
 * Fluent Bit binary (none is packaged for Debian or npm).
 */

export interface Section {
  name: string;
  entries: Record<string, string>;
}

/** `[SECTION]` headers and `Key value` lines; `#` comments. Keys are case-insensitive in Fluent Bit. */
export function parseFluentBitConf(text: string): Section[] {
  const sections: Section[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[([A-Z_]+)\]$/i.exec(line);
    if (header) {
      sections.push({ name: header[1]!.toUpperCase(), entries: {} });
      continue;
    }
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m || sections.length === 0) throw new Error(`not a Fluent Bit config line: ${raw}`);
    sections.at(-1)!.entries[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return sections;
}

/** src/multiline/flb_ml_parser_cri.c, FLB_ML_CRI_REGEX (Onigmo syntax; the same in JavaScript). */
export const CRI_REGEX = /^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$/;

export interface CriRecord {
  time: string;
  stream: string;
  log: string;
}

/**
 * The built-in multiline `cri` parser: each line through CRI_REGEX; lines are grouped by `stream`
 * (key_group) and a group is flushed when `_p` equals "F" (FLB_ML_EQ, match_str "F"), the `log`
 * values (key_content) concatenated. Lines the regex does not match are returned as errors.
 */
export function parseCri(lines: string[]): { records: CriRecord[]; unmatched: string[] } {
  const records: CriRecord[] = [];
  const unmatched: string[] = [];
  const pending = new Map<string, { time: string; parts: string[] }>();
  for (const line of lines) {
    if (line === '') continue;
    const m = CRI_REGEX.exec(line);
    if (!m?.groups) {
      unmatched.push(line);
      continue;
    }
    const {
      time,
      stream,
      _p: tag,
      log,
    } = m.groups as { time: string; stream: string; _p: string; log: string };
    const group = pending.get(stream) ?? { time, parts: [] };
    group.parts.push(log);
    if (tag === 'F') {
      records.push({ time: group.time, stream, log: group.parts.join('') });
      pending.delete(stream);
    } else pending.set(stream, group);
  }
  return { records, unmatched };
}

/** The kubernetes filter's default tag regex (plugins/filter_kubernetes/kube_regex.h, KUBE_TAG_TO_REGEX)
 * applied to the tag after Kube_Tag_Prefix: the log file name. */
export const KUBE_TAG_REGEX =
  /^(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_(?<namespace_name>[^_]+)_(?<container_name>.+)-(?<container_id>[a-z0-9]{64})\.log$/;

/** The tail input's tag for a file: `*` in Tag replaced by the path with `/` turned into `.`. */
export const tailTag = (tag: string, file: string) =>
  tag.replace('*', file.replace(/^\//, '').replace(/\//g, '.'));
