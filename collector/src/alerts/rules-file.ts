// Rules from a file (`CORSIGHT_ALERT_RULES`, YAML or JSON; GitOps-friendly like Prometheus rule files). The
// parsing is pure (text in, rule set out); `loadAlertRulesFile` is the one function that reads the disk.
// YAML is read with the `yaml` package in its core schema: no custom tags, so a rules file can only hold
// plain data; JSON is a subset of YAML, but a `.json` file goes through JSON.parse for its clearer errors.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { AlertRuleError, parseAlertRuleSet, type AlertRuleSet } from './alert-rule.js';

export const ALERT_RULES_ENV = 'CORSIGHT_ALERT_RULES';

/** Largest rules file read; thousands of rules fit in far less. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export type RulesFormat = 'yaml' | 'json';

export function rulesFormatOf(path: string): RulesFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/** Parses a rules file's text. Throws AlertRuleError naming the file and each wrong field. */
export function parseAlertRulesText(text: string, format: RulesFormat, source: string): AlertRuleSet {
  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new AlertRuleError([`not valid JSON: ${(error as Error).message}`], source);
    }
  } else {
    // Warnings (an unknown tag such as !!js/function) are refused too: a rules file holds plain data only.
    const document = parseDocument(text, { schema: 'core', logLevel: 'silent' });
    const faults = [...document.errors, ...document.warnings];
    if (faults.length > 0) {
      throw new AlertRuleError(
        faults.map((fault) => `not valid YAML: ${fault.message.split('\n')[0] ?? fault.code}`),
        source,
      );
    }
    data = document.toJS({ maxAliasCount: 100 });
  }
  return parseAlertRuleSet(data, source);
}

/** Reads `CORSIGHT_ALERT_RULES` (or `path`). Throws AlertRuleError on a missing, unreadable or wrong file. */
export async function loadAlertRulesFile(path: string): Promise<AlertRuleSet> {
  const source = `${ALERT_RULES_ENV} (${path})`;
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_FILE_BYTES) {
      throw new AlertRuleError(
        [`the file is ${bytes.byteLength} bytes; at most ${MAX_FILE_BYTES} are read`],
        source,
      );
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof AlertRuleError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new AlertRuleError(
      [`cannot read the file (${code}); point ${ALERT_RULES_ENV} at a YAML or JSON rules file`],
      source,
    );
  }
  return parseAlertRulesText(text, rulesFormatOf(path), source);
}
