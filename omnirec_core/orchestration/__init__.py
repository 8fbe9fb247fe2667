"""Running a plan: the coordinator, jobs and their records, units of work, executors,
runner processes and their environments, the journal and the evaluation phase."""
