/**
 * A gRPC client for the tests that shares no protobuf code with the server: messages are protobuf-es
 * (`@bufbuild/protobuf`, generated into `./gen/` from `proto/` by `buf generate`, see `buf.gen.yaml`), the
 * transport is grpc-js's generic `Client` with protobuf-es serializers. The server decodes with
 * `@grpc/proto-loader` (protobufjs), so every test checks the wire format against an independent reading.
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelStreamInferResponse,
} from './gen/grpc_service_pb.js';
import { Health } from './gen/health_pb.js';

type InferenceMethods = typeof GRPCInferenceService.method;
type HealthMethods = typeof Health.method;

/** The unary RPCs of `GRPCInferenceService`, by protobuf-es local name (`modelInfer`, …). */
export type UnaryName = {
  [K in keyof InferenceMethods]: InferenceMethods[K]['methodKind'] extends 'unary' ? K : never;
}[keyof InferenceMethods];

/** A failed call: the gRPC status code and message. */
export type GrpcError = ServiceError;

function serializer<D extends DescMessage>(schema: D): (message: MessageShape<D>) => Buffer {
  return (message) => Buffer.from(toBinary(schema, message));
}

function deserializer<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> {
  return (bytes) => fromBinary(schema, bytes);
}

/** Metadata from a plain object. */
export function metadataOf(entries: Record<string, string>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** A client of `inference.GRPCInferenceService` and `grpc.health.v1.Health` on 127.0.0.1:`port`. */
export class TestGrpcClient {
  readonly #client: Client;

  constructor(port: number) {
    this.#client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  /** Calls a unary RPC of `GRPCInferenceService`. */
  call<K extends UnaryName>(
    name: K,
    request: MessageInitShape<InferenceMethods[K]['input']>,
    metadata: Metadata = new Metadata(),
  ): Promise<MessageShape<InferenceMethods[K]['output']>> {
    const method = GRPCInferenceService.method[name];
    return this.#unary(
      `/${GRPCInferenceService.typeName}/${method.name}`,
      method.input,
      method.output,
      request,
      metadata,
    ) as Promise<MessageShape<InferenceMethods[K]['output']>>;
  }

  /** Calls `grpc.health.v1.Health/Check`. */
  healthCheck(
    service = '',
    metadata: Metadata = new Metadata(),
  ): Promise<MessageShape<HealthMethods['check']['output']>> {
    const method = Health.method.check;
    return this.#unary(
      `/${Health.typeName}/${method.name}`,
      method.input,
      method.output,
      { service },
      metadata,
    ) as Promise<MessageShape<HealthMethods['check']['output']>>;
  }

  /** Calls `grpc.health.v1.Health/Watch`; resolves with the responses and the status the stream ends with. */
  healthWatch(): Promise<{ responses: unknown[]; code: number; details: string }> {
    const method = Health.method.watch;
    const call = this.#client.makeServerStreamRequest(
      `/${Health.typeName}/${method.name}`,
      serializer(method.input),
      deserializer(method.output),
      create(method.input, {}),
      new Metadata(),
    );
    const responses: unknown[] = [];
    call.on('data', (response: unknown) => responses.push(response));
    call.on('error', () => {});
    return new Promise((resolve) => call.on('status', ({ code, details }) => resolve({ responses, code, details })));
  }

  /** Opens a ModelStreamInfer stream. */
  stream(metadata: Metadata = new Metadata()): ClientDuplexStream<ModelInferRequest, ModelStreamInferResponse> {
    const method = GRPCInferenceService.method.modelStreamInfer;
    return this.#client.makeBidiStreamRequest(
      `/${GRPCInferenceService.typeName}/${method.name}`,
      serializer(method.input),
      deserializer(method.output),
      metadata,
    );
  }

  /** Opens a stream, sends `requests`, half-closes, and collects every response until the stream ends. */
  async streamAll(
    requests: readonly MessageInitShape<typeof ModelInferRequestSchema>[],
    metadata: Metadata = new Metadata(),
  ): Promise<{ responses: ModelStreamInferResponse[]; error: GrpcError | undefined }> {
    const call = this.stream(metadata);
    const responses: ModelStreamInferResponse[] = [];
    const ended = new Promise<GrpcError | undefined>((resolve) => {
      call.on('data', (response: ModelStreamInferResponse) => responses.push(response));
      call.on('error', (error: GrpcError) => resolve(error));
      call.on('status', (status) => {
        if (status.code === 0) resolve(undefined);
      });
    });
    for (const request of requests) call.write(create(ModelInferRequestSchema, request));
    call.end();
    return { responses, error: await ended };
  }

  #unary<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
    request: MessageInitShape<I>,
    metadata: Metadata,
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        path,
        serializer(input),
        deserializer(output),
        create(input, request),
        metadata,
        (error, value) => (error ? reject(error) : resolve(value!)),
      );
    });
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
