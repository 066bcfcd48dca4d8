import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils.js';

/**
 * Workflow histories to and from Temporal's JSON history format (what `temporal workflow show --output json`
 * and the Web UI's download produce).
 *
 * Why not the SDK's `historyToJSON` / `historyFromJSON`: in this install npm nests one copy of protobufjs 8
 * under @temporalio/common and another under @temporalio/proto (the root holds grpc's protobufjs 7), and
 * protojson refuses the other copy's types ("type must be a Type"). Here protojson comes from the copy the
 * proto root itself uses, wherever npm put it.
 */
const requireFromClient = createRequire(createRequire(import.meta.url).resolve('@temporalio/client'));
const protoEntry = requireFromClient.resolve('@temporalio/proto');
const requireFromProto = createRequire(protoEntry);

interface ProtoType {
  fromObject(value: unknown): unknown;
}
const proto = requireFromProto(protoEntry);
const { patchProtobufRoot } = requireFromProto('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot(root: unknown): { lookupType(name: string): ProtoType };
};
const protojson = requireFromProto('protobufjs/ext/protojson') as {
  toJson(type: ProtoType, message: unknown): unknown;
  fromJson(type: ProtoType, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
};
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): string {
  return `${JSON.stringify(protojson.toJson(historyType, historyType.fromObject(history)), null, 2)}\n`;
}

/** A History message (not plain JSON), so `Worker.runReplayHistory` takes it as it is. */
export function historyFromJson(text: string): History {
  return protojson.fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true }) as History;
}
