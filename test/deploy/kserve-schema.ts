/**
 * Checks of the KServe resources ts-triton ships (ClusterServingRuntime, InferenceService). No maintained npm
 * package carries KServe's CRD schemas, so this checks what the CRDs declare for the fields used (field names,
 * types, required fields, as in KServe's config/crd/full/serving.kserve.io_*.yaml), with the container and port
 * parts validated by kubernetes-models' core/v1 schemas, which the CRDs embed.
 */
import { Container } from 'kubernetes-models/v1/Container';
import { ContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { Manifest } from './deploy-files.ts';

/** `spec` fields of a (Cluster)ServingRuntime, serving.kserve.io/v1alpha1. */
const SERVING_RUNTIME_SPEC = new Set([
  'affinity',
  'annotations',
  'builtInAdapter',
  'containers',
  'disabled',
  'grpcDataEndpoint',
  'grpcEndpoint',
  'hostIPC',
  'httpDataEndpoint',
  'imagePullSecrets',
  'labels',
  'multiModel',
  'nodeSelector',
  'protocolVersions',
  'replicas',
  'resourceClaims',
  'schedulerName',
  'storageHelper',
  'supportedModelFormats',
  'tolerations',
  'volumes',
  'workerSpec',
]);

/** `spec.predictor.model` fields of an InferenceService, serving.kserve.io/v1beta1 (a core Container plus these). */
const MODEL_SPEC_EXTRA = new Set([
  'modelFormat',
  'protocolVersion',
  'runtime',
  'runtimeVersion',
  'storage',
  'storageUri',
]);

/** The protocol versions KServe knows (`constants.InferenceServiceProtocol`). */
export const KSERVE_PROTOCOLS = ['v1', 'v2', 'grpc-v1', 'grpc-v2'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(where: string, value: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(value).filter((k) => !allowed.has(k));
  if (unknown.length > 0) throw new Error(`${where}: unknown field(s) ${unknown.join(', ')}`);
}

function checkStringMap(where: string, value: unknown): void {
  if (value === undefined) return;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string'))
    throw new Error(`${where} must map strings to strings`);
}

/**
 * Validates a ClusterServingRuntime.
 * @throws {Error} naming the field that is wrong.
 */
export function validateServingRuntime(m: Manifest): void {
  if (m.apiVersion !== 'serving.kserve.io/v1alpha1')
    throw new Error(`${m.kind}: apiVersion must be serving.kserve.io/v1alpha1`);
  const spec = m.spec as Record<string, unknown>;
  if (!isObject(spec)) throw new Error(`${m.kind}: spec is required`);
  checkKeys(`${m.kind}.spec`, spec, SERVING_RUNTIME_SPEC);
  if (!Array.isArray(spec.containers) || spec.containers.length === 0)
    throw new Error(`${m.kind}.spec.containers is required`);
  for (const c of spec.containers) new Container(c).validate();
  checkStringMap(`${m.kind}.spec.annotations`, spec.annotations);
  checkStringMap(`${m.kind}.spec.labels`, spec.labels);
  for (const [i, format] of ((spec.supportedModelFormats as unknown[]) ?? []).entries()) {
    const where = `${m.kind}.spec.supportedModelFormats[${i}]`;
    if (!isObject(format) || typeof format.name !== 'string') throw new Error(`${where}.name is required`);
    checkKeys(where, format, new Set(['name', 'version', 'autoSelect', 'priority']));
    if (format.version !== undefined && typeof format.version !== 'string')
      throw new Error(`${where}.version must be a string`);
    if (format.autoSelect !== undefined && typeof format.autoSelect !== 'boolean')
      throw new Error(`${where}.autoSelect must be a boolean`);
    if (format.priority !== undefined && !(Number.isInteger(format.priority) && (format.priority as number) >= 1)) {
      throw new Error(`${where}.priority must be an integer >= 1`);
    }
  }
  const protocols = spec.protocolVersions;
  if (protocols !== undefined && !(Array.isArray(protocols) && protocols.every((p) => KSERVE_PROTOCOLS.includes(p)))) {
    throw new Error(`${m.kind}.spec.protocolVersions must list some of ${KSERVE_PROTOCOLS.join(', ')}`);
  }
  if (spec.multiModel !== undefined && typeof spec.multiModel !== 'boolean')
    throw new Error(`${m.kind}.spec.multiModel must be a boolean`);
}

/**
 * Validates an InferenceService whose predictor uses `model` (a model format served by a runtime).
 * @throws {Error} naming the field that is wrong.
 */
export function validateInferenceService(m: Manifest): void {
  if (m.apiVersion !== 'serving.kserve.io/v1beta1')
    throw new Error(`${m.kind}: apiVersion must be serving.kserve.io/v1beta1`);
  const predictor = (m.spec as { predictor?: unknown })?.predictor;
  if (!isObject(predictor)) throw new Error(`${m.kind}.spec.predictor is required`);
  const model = predictor.model;
  if (!isObject(model)) throw new Error(`${m.kind}.spec.predictor.model is required here`);
  const where = `${m.kind}.spec.predictor.model`;
  const containerPart = Object.fromEntries(Object.entries(model).filter(([k]) => !MODEL_SPEC_EXTRA.has(k)));
  new Container({ name: 'kserve-container', ...containerPart }).validate();
  for (const port of (model.ports as unknown[]) ?? [])
    new ContainerPort(port as ConstructorParameters<typeof ContainerPort>[0]).validate();
  const format = model.modelFormat;
  if (!isObject(format) || typeof format.name !== 'string') throw new Error(`${where}.modelFormat.name is required`);
  checkKeys(`${where}.modelFormat`, format, new Set(['name', 'version']));
  for (const field of ['runtime', 'storageUri', 'protocolVersion', 'runtimeVersion']) {
    if (model[field] !== undefined && typeof model[field] !== 'string')
      throw new Error(`${where}.${field} must be a string`);
  }
  if (model.protocolVersion !== undefined && !KSERVE_PROTOCOLS.includes(model.protocolVersion as string)) {
    throw new Error(`${where}.protocolVersion must be one of ${KSERVE_PROTOCOLS.join(', ')}`);
  }
}
