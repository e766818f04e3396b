import { parse, type Tags } from 'yaml';
import { RouterConfigError } from '../errors';

// A config file is read as PyYAML reads it (YAML 1.1), since LiteLLM's proxy reads it with PyYAML.

// PyYAML resolves booleans from these words only (YAML 1.1 without `y`/`n`), and llmcache keeps dates as the
// text written (`api_version: 2024-10-21`), which is what LiteLLM's str() of PyYAML's date gives back.
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
const BOOL_TAG = 'tag:yaml.org,2002:bool';
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const tag of tags) {
    if (typeof tag === 'string' || tag.tag === TIMESTAMP_TAG) {
      if (typeof tag === 'string') out.push(tag);
      continue;
    }
    // yaml's 1.1 booleans are one tag for true words and one for false words; PyYAML's lists lack y/n.
    if (tag.tag === BOOL_TAG && 'test' in tag && tag.test) out.push({ ...tag, test: tag.test.test('true') ? PYYAML_TRUE : PYYAML_FALSE });
    else out.push(tag);
  }
  return out;
}

export function parseYaml(text: string, source?: string): unknown {
  try {
    return parse(text, { merge: true, version: '1.1', customTags: pyyamlTags });
  } catch (cause) {
    throw new RouterConfigError('config', `${source ? `${source} is` : 'is'} not valid YAML: ${errorMessage(cause)}`, { cause });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
