// @aws-sdk/client-iot-jobs-data-plane playing a device against a harness-started otad: the
// same life cycle as tests/sdk/test_jobs_data.py (pending list, describe $next, start next with
// statusDetails and a step timer, progress, success with the job document), a version conflict,
// an invalid transition and an unknown thing. The managed thing and the OTA task are made with
// plain HTTP (the harness runs otad with OTAD_AUTH=none; there is no JS client for managed
// integrations in tests/sdk/node/package.json). Run by ctest as `node test_jobs_data.mjs`; without
// OTAD_TEST_URL it re-runs itself inside the harness.
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { test } from "node:test";

if (!process.env.OTAD_TEST_URL) {
    const harness = `${process.env.OTAD_SOURCE_DIR}/tests/harness/harness.py`;
    const r = spawnSync("python3", [harness, "run", "--otad", "--", process.execPath,
                                    ...process.argv.slice(1)], { stdio: "inherit" });
    process.exit(r.status ?? 1);
}

const {
    IoTJobsDataPlaneClient, GetPendingJobExecutionsCommand, StartNextPendingJobExecutionCommand,
    DescribeJobExecutionCommand, UpdateJobExecutionCommand, InvalidStateTransitionException,
    ResourceNotFoundException,
} = await import("@aws-sdk/client-iot-jobs-data-plane");

const url = process.env.OTAD_TEST_URL;
const client = new IoTJobsDataPlaneClient({
    endpoint: url, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "AKIDEXAMPLE",
                   secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
});

async function post(path, body) {
    const res = await fetch(url + path, { method: "POST", body: JSON.stringify(body),
                                          headers: { "content-type": "application/json" } });
    const text = await res.text();
    assert.ok(res.status < 300, `${path}: ${res.status} ${text}`);
    return JSON.parse(text);
}

async function waitUntil(what, probe, ms = 20000) {
    const end = Date.now() + ms;
    for (;;) {
        const got = await probe();
        if (got) return got;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

test("a device's life with the JS SDK", async () => {
    const thing = (await post("/managed-things", {
        Role: "DEVICE", AuthenticationMaterial: "abc",
        AuthenticationMaterialType: "ZIGBEE_QR_BAR_CODE" })).Id;
    const cfg = (await post("/ota-task-configurations", {
        Name: "jscfg", PushConfig: { TimeoutConfig: { InProgressTimeoutInMinutes: 30 } } }))
        .TaskConfigurationId;
    const job = (await post("/ota-tasks", {
        S3Url: "https://bkt.s3.amazonaws.com/fw.bin", OtaType: "ONE_TIME", OtaMechanism: "PUSH",
        Target: [thing], TaskConfigurationId: cfg })).TaskId;

    const summary = await waitUntil("the job to be queued", async () => {
        const got = await client.send(new GetPendingJobExecutionsCommand({ thingName: thing }));
        return got.queuedJobs.find((j) => j.jobId === job);
    });
    assert.equal(summary.versionNumber, 1);
    assert.equal(typeof summary.queuedAt, "number");

    const next = await client.send(new DescribeJobExecutionCommand({ thingName: thing,
                                                                     jobId: "$next" }));
    assert.equal(next.execution.jobId, job);
    assert.equal(next.execution.status, "QUEUED");
    assert.equal(JSON.parse(next.execution.jobDocument).otaTask.taskId, job);

    const started = await client.send(new StartNextPendingJobExecutionCommand({
        thingName: thing, statusDetails: { step: "download" }, stepTimeoutInMinutes: 10 }));
    assert.equal(started.execution.status, "IN_PROGRESS");
    assert.deepEqual(started.execution.statusDetails, { step: "download" });
    assert.equal(started.execution.versionNumber, 2);
    assert.ok(started.execution.approximateSecondsBeforeTimedOut <= 600);

    const progress = await client.send(new UpdateJobExecutionCommand({
        thingName: thing, jobId: job, status: "IN_PROGRESS", statusDetails: { progress: "50" },
        stepTimeoutInMinutes: 5, expectedVersion: 2, includeJobExecutionState: true }));
    assert.deepEqual(progress.executionState, {
        status: "IN_PROGRESS", statusDetails: { progress: "50" }, versionNumber: 3 });

    await assert.rejects(
        client.send(new UpdateJobExecutionCommand({ thingName: thing, jobId: job,
                                                    status: "SUCCEEDED", expectedVersion: 2 })),
        (e) => e.name === "VersionConflictException" && e.$metadata.httpStatusCode === 409);

    const done = await client.send(new UpdateJobExecutionCommand({
        thingName: thing, jobId: job, status: "SUCCEEDED", includeJobExecutionState: true,
        includeJobDocument: true }));
    assert.equal(done.executionState.status, "SUCCEEDED");
    assert.equal(done.executionState.versionNumber, 4);
    assert.equal(JSON.parse(done.jobDocument).otaTask.taskId, job);

    await assert.rejects(
        client.send(new UpdateJobExecutionCommand({ thingName: thing, jobId: job,
                                                    status: "FAILED" })),
        (e) => e instanceof InvalidStateTransitionException && e.$metadata.httpStatusCode === 409);
    const none = await client.send(new StartNextPendingJobExecutionCommand({ thingName: thing }));
    assert.equal(none.execution, undefined);
    await assert.rejects(
        client.send(new GetPendingJobExecutionsCommand({ thingName: "no-such-thing" })),
        (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 404);
});
