import {
  type CloudFrontClient,
  CreateRealtimeLogConfigCommand,
  ListRealtimeLogConfigsCommand,
  type RealtimeLogConfig,
  UpdateRealtimeLogConfigCommand,
} from "@aws-sdk/client-cloudfront";
import type {
  CloudFrontGateway,
  RealtimeLogConfigInfo,
  RealtimeLogConfigInput,
} from "./cloudfront-gateway.js";

/** Real-time log configs: list, create, update (a Kinesis stream each). */
export function realtimeLogCalls(
  client: CloudFrontClient,
): Pick<CloudFrontGateway, "listRealtimeLogConfigs" | "createRealtimeLogConfig" | "updateRealtimeLogConfig"> {
  return {
    async listRealtimeLogConfigs() {
      const out = await client.send(new ListRealtimeLogConfigsCommand({}));
      return (out.RealtimeLogConfigs?.Items ?? []).map(toRealtimeInfo);
    },

    async createRealtimeLogConfig(input) {
      const out = await client.send(new CreateRealtimeLogConfigCommand(realtimeInput(input)));
      const requestId = out.$metadata?.requestId;
      return { arn: out.RealtimeLogConfig?.ARN ?? "", ...(requestId ? { requestId } : {}) };
    },

    async updateRealtimeLogConfig(input) {
      const out = await client.send(new UpdateRealtimeLogConfigCommand(realtimeInput(input)));
      const requestId = out.$metadata?.requestId;
      return { arn: out.RealtimeLogConfig?.ARN ?? "", ...(requestId ? { requestId } : {}) };
    },
  };
}

function toRealtimeInfo(c: RealtimeLogConfig): RealtimeLogConfigInfo {
  const kinesis = c.EndPoints?.[0]?.KinesisStreamConfig;
  return {
    name: c.Name ?? "",
    arn: c.ARN ?? "",
    samplingRate: c.SamplingRate ?? 0,
    fields: c.Fields ?? [],
    streamArn: kinesis?.StreamARN ?? "",
    roleArn: kinesis?.RoleARN ?? "",
  };
}

const realtimeInput = (input: RealtimeLogConfigInput) => ({
  Name: input.name,
  SamplingRate: input.samplingRate,
  Fields: input.fields,
  EndPoints: [
    { StreamType: "Kinesis", KinesisStreamConfig: { StreamARN: input.streamArn, RoleARN: input.roleArn } },
  ],
});
