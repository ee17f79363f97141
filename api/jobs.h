/*
 * jobs: the IoT Jobs device data plane (GetPendingJobExecutions, StartNextPendingJobExecution,
 * DescribeJobExecution, UpdateJobExecution; reference/wire.md section 6.4). The job id is the
 * task's job_id, the job document the task's job_document. Writes go through the group-commit
 * batcher of store/devupd.h; reads are single statements on the API pool.
 */
#ifndef OTAD_API_JOBS_H
#define OTAD_API_JOBS_H

struct req;

/** GET /things/{thingName}/jobs */
void jobs_handle_pending(struct req *r);

/** PUT /things/{thingName}/jobs/$next */
void jobs_handle_start_next(struct req *r);

/** GET /things/{thingName}/jobs/{jobId} */
void jobs_handle_describe(struct req *r);

/** POST /things/{thingName}/jobs/{jobId} */
void jobs_handle_update(struct req *r);

#endif
