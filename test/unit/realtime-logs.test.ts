import {
  CloudFrontClient,
  CreateRealtimeLogConfigCommand,
  ListRealtimeLogConfigsCommand,
} from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import { manageRealtimeLogs } from "../../src/changes/realtime-log-configs.js";
import { parseCdnCommand } from "../../src/commands/parse-cdn-command.js";
import { realtimeLogMessage } from "../../src/messages/realtime-log-messages.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { emptyStoreData } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";

const cf = mockClient(CloudFrontClient);
const actor = { userId: "UALICE", teamId: "T1" };

function deps() {
  const store = StateStore.inMemory(emptyStoreData());
  return {
    store,
    records: lowdbRecordStore(store),
    cloudfront: createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" })),
    clock: () => 1,
  };
}

const run = (text: string, d = deps()) => {
  const command = parseCdnCommand(text);
  if (command.verb !== "realtime-logs") throw new Error("not a realtime-logs command");
  return manageRealtimeLogs(d, command, actor, "C1").then(realtimeLogMessage);
};

beforeEach(() => cf.reset());

describe("real-time log configs", () => {
  it("creates one delivering to Kinesis, and audits it", async () => {
    cf.on(CreateRealtimeLogConfigCommand).resolves({
      $metadata: { requestId: "rid" },
      RealtimeLogConfig: {
        ARN: "arn:aws:cloudfront::123456789012:realtime-log-config/web-logs",
        Name: "web-logs",
        SamplingRate: 10,
        Fields: [],
        EndPoints: [],
      },
    });
    const d = deps();
    const reply = await run(
      "realtime-logs create web-logs stream=arn:aws:kinesis:us-east-1:123456789012:stream/cdn role=arn:aws:iam::123456789012:role/cf-rt fields=timestamp,c-ip,sc-status sampling=10",
      d,
    );
    expect(cf).toHaveReceivedCommandWith(CreateRealtimeLogConfigCommand, {
      Name: "web-logs",
      SamplingRate: 10,
      Fields: ["timestamp", "c-ip", "sc-status"],
      EndPoints: [
        {
          StreamType: "Kinesis",
          KinesisStreamConfig: {
            StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/cdn",
            RoleARN: "arn:aws:iam::123456789012:role/cf-rt",
          },
        },
      ],
    });
    expect(reply.text).toMatch(
      /`web-logs` created .* attach arn:aws:cloudfront::123456789012:realtime-log-config\/web-logs/,
    );
    expect(d.store.data.audit).toContainEqual(
      expect.objectContaining({ type: "aws.CreateRealtimeLogConfig", awsRequestId: "rid" }),
    );
  });

  it.each([
    [
      "stream=arn:aws:s3:::bucket role=arn:aws:iam::123456789012:role/r fields=timestamp sampling=10",
      /Kinesis data stream ARN/,
    ],
    [
      "stream=arn:aws:kinesis:us-east-1:123456789012:stream/s role=arn:aws:iam::123456789012:role/r fields=timestamp sampling=0",
      /from 1 to 100/,
    ],
  ])("refuses bad input before calling AWS: %s", async (args, message) => {
    await expect(run(`realtime-logs create x ${args}`)).rejects.toThrow(message);
    expect(cf).not.toHaveReceivedCommand(CreateRealtimeLogConfigCommand);
  });

  it("lists them", async () => {
    cf.on(ListRealtimeLogConfigsCommand).resolves({
      RealtimeLogConfigs: {
        MaxItems: 100,
        IsTruncated: false,
        Marker: "",
        Items: [
          {
            ARN: "arn:x",
            Name: "web-logs",
            SamplingRate: 5,
            Fields: ["timestamp"],
            EndPoints: [
              { StreamType: "Kinesis", KinesisStreamConfig: { StreamARN: "arn:s", RoleARN: "arn:r" } },
            ],
          },
        ],
      },
    });
    expect((await run("realtime-logs list")).text).toMatch(
      /`web-logs`: 5% of requests to `arn:s`, fields timestamp/,
    );
  });
});
