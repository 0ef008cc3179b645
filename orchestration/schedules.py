"""The daily schedule: the whole graph once a day after the nightly CRM/MAP exports."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import data_run_config, everything_job

# The CRM and MAP exports land by ~05:00 UTC; 06:00 leaves an hour of slack and still has the
# marts ready before the European working day. Files arriving later are picked up by the
# landing sensor (sensors.py).
daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=everything_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    run_config=data_run_config(),
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every day at 06:00 UTC: ingest new landing files, dbt build, checks, publish "
                "the BI copy.",
)

SCHEDULES = [daily_refresh_schedule]
