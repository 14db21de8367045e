/**
 * The bare `@grpc/grpc-js` baseline (BENCH_GRPC_PORT): ModelInfer, decoded and encoded with
 * @grpc/proto-loader from proto/grpc_service.proto, answering a ModelInferResponse that echoes the request's
 * tensors (outputs named as the inputs, raw_output_contents = raw_input_contents). No validation, no model.
 * Prints `READY` on stdout once listening.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));
const def = protoLoader.loadSync('grpc_service.proto', {
  includeDirs: [protoDir],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(def) as any;

interface InferRequest {
  model_name: string;
  model_version?: string;
  id?: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  raw_input_contents?: Buffer[];
}

const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
server.addService(pkg.inference.GRPCInferenceService.service, {
  ModelInfer(call: grpc.ServerUnaryCall<InferRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
    const r = call.request;
    callback(null, {
      model_name: r.model_name,
      model_version: '1',
      id: r.id ?? '',
      outputs: r.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      raw_output_contents: r.raw_input_contents ?? [],
    });
  },
});
server.bindAsync(`127.0.0.1:${process.env.BENCH_GRPC_PORT ?? 8001}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write('READY\n');
});
process.on('SIGTERM', () => process.exit(0));
