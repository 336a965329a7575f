export { YamlInputError, type YamlInputErrorCode } from './errors.ts';
export {
  type ParsedYaml,
  parseYaml,
  parseYamlDocuments,
  readYaml,
  readYamlAll,
  YAML_MAX_ALIAS_COUNT,
  YAML_MAX_LEXEMES,
  type YamlAliases,
  type YamlReadOptions,
  yamlDocumentToJs,
} from './yaml-input.ts';
